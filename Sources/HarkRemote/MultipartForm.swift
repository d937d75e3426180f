import Foundation

/// A `multipart/form-data` body (RFC 7578). Written here because only these few lines are needed
/// to send one file; the server side parses with its own `MultipartBody`.
struct MultipartForm {
    let boundary: String
    private var body = Data()

    init(boundary: String) { self.boundary = boundary }

    func field(_ name: String, _ value: String) -> MultipartForm {
        var form = self
        form.body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8))
        return form
    }

    func file(_ field: String, filename: String, type: String, data: Data) -> MultipartForm {
        var form = self
        form.body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(field)\"; filename=\"\(filename)\"\r\nContent-Type: \(type)\r\n\r\n".utf8))
        form.body.append(data)
        form.body.append(Data("\r\n".utf8))
        return form
    }

    func encoded() -> Data { body + Data("--\(boundary)--\r\n".utf8) }
}
