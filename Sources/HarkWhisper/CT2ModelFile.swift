import CHarkBLAS
import HarkBLAS
import Foundation
import HarkCore

/// A CTranslate2 `model.bin`: named tensors stored back to back after a small header.
///
/// Layout (little-endian): u32 version, str spec name, u32 revision, u32 variable count, then per
/// variable: str name, u8 rank, u32 dims[rank], u8 dtype, u32 byte count, bytes; then u32 alias
/// count and (str alias, str target) pairs. A str is a u16 length including a NUL, then bytes.
/// The file is memory-mapped; `floats(_:)` converts one tensor to Float32 when asked.
struct CT2ModelFile {
    enum DType: UInt8 {
        case float32 = 0, int8 = 1, int16 = 2, int32 = 3, float16 = 4, bfloat16 = 5
        var size: Int {
            switch self {
            case .float32, .int32: 4
            case .int16, .float16, .bfloat16: 2
            case .int8: 1
            }
        }
    }

    struct Variable {
        var shape: [Int]
        var dtype: DType
        var offset: Int
        var byteCount: Int
    }

    let path: String
    let specName: String
    private let data: Data
    private(set) var variables: [String: Variable] = [:]

    init(path: String) throws(HarkError) {
        self.path = path
        // An empty file is refused before mapping: Foundation's mapped read of one leaks a
        // page-sized buffer (found by `make fuzz`), and there is nothing in it to read anyway.
        var info = stat()
        if stat(path, &info) == 0, info.st_size == 0 {
            throw HarkError(.modelCorrupt, "'\(path)' is empty, not a CTranslate2 model. Reinstall it with `make models`.")
        }
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw HarkError(.modelMissing, "Cannot read the Whisper model file '\(path)': \((error as NSError).localizedDescription).")
        }
        var reader = Reader(data: data)
        do {
            let version = try reader.u32()
            guard (5...6).contains(version) else { throw Reader.Failure("unsupported model.bin version \(version)") }
            specName = try reader.string()
            _ = try reader.u32()   // spec revision
            let count = try reader.u32()
            for _ in 0..<count {
                let name = try reader.string()
                let rank = Int(try reader.u8())
                var shape: [Int] = []
                for _ in 0..<rank { shape.append(Int(try reader.u32())) }
                let code = try reader.u8()
                guard let dtype = DType(rawValue: code) else {
                    throw Reader.Failure("variable '\(name)' has an unknown data type (\(code))")
                }
                let bytes = Int(try reader.u32())
                // Checked: dimensions of a crafted file may multiply past Int.max.
                guard let elements = Self.product(shape), elements.multipliedReportingOverflow(by: dtype.size) == (bytes, false) else {
                    throw Reader.Failure("variable '\(name)' holds \(bytes) bytes for shape \(shape) of \(dtype)")
                }
                variables[name] = Variable(shape: shape, dtype: dtype, offset: reader.offset, byteCount: bytes)
                try reader.skip(bytes)
            }
            let aliases = try reader.u32()
            for _ in 0..<aliases {
                let alias = try reader.string(), target = try reader.string()
                variables[alias] = variables[target]
            }
        } catch let failure as Reader.Failure {
            throw HarkError(.modelCorrupt, "'\(path)' is not a usable CTranslate2 model (\(failure.reason)). Reinstall it with `make models`.")
        } catch {
            throw HarkError(.modelCorrupt, "'\(path)': \(error)")
        }
    }

    func has(_ name: String) -> Bool { variables[name] != nil }

    /// The number of elements of `shape`, nil when the product overflows.
    static func product(_ shape: [Int]) -> Int? {
        var total = 1
        for dimension in shape {
            let (value, overflow) = total.multipliedReportingOverflow(by: dimension)
            guard !overflow, dimension >= 0 else { return nil }
            total = value
        }
        return total
    }

    /// A weight matrix for float16 products, in exactly one form: float16 as stored (never
    /// widened, not even for a moment), else float32 with an exact float16 copy when one loses
    /// nothing, else float32 alone (`half` nil).
    func weights(_ name: String, shape expected: [Int]? = nil) throws(HarkError) -> (floats: [Float], half: HalfMatrix?) {
        guard let v = variables[name] else { throw corrupt("it has no variable '\(name)'") }
        if let expected, v.shape != expected { throw corrupt("'\(name)' has shape \(v.shape), expected \(expected)") }
        guard v.dtype == .float16 else {
            let values = try floats(name)
            return HalfMatrix(exactly: values).map { ([], $0) } ?? (values, nil)
        }
        let count = v.byteCount / 2
        var bits = [UInt16](repeating: 0, count: count)
        data.withUnsafeBytes { raw in
            bits.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[v.offset..<(v.offset + 2 * count)])) }
        }
        return ([], HalfMatrix(bits: bits))
    }

    /// A tensor as Float32. float16/bfloat16 are widened; int8 weights are divided by their
    /// per-row `…_scale` (CTranslate2 stores round(w · scale)).
    func floats(_ name: String, shape expected: [Int]? = nil) throws(HarkError) -> [Float] {
        guard let v = variables[name] else { throw corrupt("it has no variable '\(name)'") }
        if let expected, v.shape != expected { throw corrupt("'\(name)' has shape \(v.shape), expected \(expected)") }
        let count = v.byteCount / v.dtype.size   // the shape's product, checked when the file was read
        var result = [Float](repeating: 0, count: count)
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let base = raw.baseAddress! + v.offset
            switch v.dtype {
            case .float32:
                for i in 0..<count { result[i] = base.loadUnaligned(fromByteOffset: 4 * i, as: Float.self) }
            case .float16:
                result.withUnsafeMutableBufferPointer { hark_half_to_float(base, $0.baseAddress!, count) }
            case .bfloat16:
                for i in 0..<count {
                    result[i] = Float(bitPattern: UInt32(base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16)
                }
            case .int8:
                for i in 0..<count { result[i] = Float(base.load(fromByteOffset: i, as: Int8.self)) }
            case .int16:
                for i in 0..<count { result[i] = Float(base.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self)) }
            case .int32:
                for i in 0..<count { result[i] = Float(base.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)) }
            }
        }
        if v.dtype == .int8, name.hasSuffix("weight") {
            let scales = try floats(name + "_scale")
            let rows = v.shape.first ?? 1, columns = count / max(rows, 1)
            guard scales.count == rows || scales.count == 1 else { throw corrupt("'\(name)_scale' does not match '\(name)'") }
            for r in 0..<rows {
                let scale = scales.count == 1 ? scales[0] : scales[r]
                for c in 0..<columns { result[r * columns + c] /= scale }
            }
        }
        guard result.allSatisfy(\.isFinite) else { throw corrupt("'\(name)' holds NaN or infinite values") }
        return result
    }

    /// A rank-0 setting (num_heads and the like).
    func integer(_ name: String) throws(HarkError) -> Int {
        let values = try floats(name)
        guard values.count == 1, let value = values.first, value.rounded() == value, abs(value) < 16_777_216 else {
            throw corrupt("'\(name)' is not a single whole number")
        }
        return Int(value)
    }

    func corrupt(_ detail: String) -> HarkError {
        HarkError(.modelCorrupt, "'\(path)' is not a usable Whisper model: \(detail). Reinstall it with `make models`.")
    }

    private struct Reader {
        struct Failure: Error { var reason: String; init(_ reason: String) { self.reason = reason } }
        let data: Data
        var offset = 0

        mutating func take(_ n: Int) throws -> Int {
            guard n >= 0, offset + n <= data.count else { throw Failure("the file ends early (truncated?)") }
            defer { offset += n }
            return offset
        }
        mutating func skip(_ n: Int) throws { _ = try take(n) }
        mutating func u8() throws -> UInt8 { let o = try take(1); return data[data.startIndex + o] }
        mutating func u16() throws -> UInt16 {
            let o = try take(2)
            return data.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: o, as: UInt16.self) }
        }
        mutating func u32() throws -> UInt32 {
            let o = try take(4)
            return data.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: o, as: UInt32.self) }
        }
        mutating func string() throws -> String {
            let length = Int(try u16())
            guard length >= 1 else { throw Failure("an empty name") }
            let o = try take(length)
            return String(decoding: data[(data.startIndex + o)..<(data.startIndex + o + length - 1)], as: UTF8.self)
        }
    }
}

extension CT2ModelFile {
    /// A weight matrix packed for the int8 or bfloat16 kernels. An int8 model's own weights and
    /// row scales go in as they are for int8 (CTranslate2's quantization, not a second one);
    /// anything else is read as float and quantized or rounded.
    func packed(_ name: String, shape expected: [Int], as format: PackedMatrix.Format) throws(HarkError) -> PackedMatrix {
        guard let v = variables[name] else { throw corrupt("it has no variable '\(name)'") }
        if v.shape != expected { throw corrupt("'\(name)' has shape \(v.shape), expected \(expected)") }
        let rows = expected[0], columns = expected.dropFirst().reduce(1, *)
        if format == .int8, v.dtype == .int8, let scales = try? floats(name + "_scale"), scales.count == rows,
           scales.allSatisfy({ $0 > 0 }) {
            return data.withUnsafeBytes { raw in
                scales.withUnsafeBufferPointer { s in
                    PackedMatrix(int8: raw.baseAddress!.advanced(by: v.offset).assumingMemoryBound(to: Int8.self),
                                 scales: s.baseAddress!, rows: rows, columns: columns)
                }
            }
        }
        if v.dtype == .float16 {
            let threads = ProcessInfo.processInfo.activeProcessorCount
            let matrix = data.withUnsafeBytes { raw in
                PackedMatrix(half: raw.baseAddress! + v.offset, rows: rows, columns: columns, as: format, threads: threads)
            }
            guard let matrix else { throw corrupt("'\(name)' holds NaN or infinite values") }
            return matrix
        }
        let values = try floats(name, shape: expected)
        return values.withUnsafeBufferPointer { w in
            format == .int8 ? PackedMatrix(quantizing: w.baseAddress!, rows: rows, columns: columns)
                            : PackedMatrix(bfloat16: w.baseAddress!, rows: rows, columns: columns)
        }
    }
}
