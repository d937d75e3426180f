import HarkCore

/// The float tensors stored in an ONNX file's graph initializers.
///
/// Written by hand rather than with swift-protobuf: Hark needs four fields of three messages
/// (ModelProto.graph, GraphProto.initializer, TensorProto dims/data_type/name/raw_data|float_data),
/// and a generated ONNX schema would be thousands of lines plus a build plugin for that.
public struct ONNXTensors: Sendable {
    /// One float32 initializer: its dimensions and its values.
    public struct Tensor: Sendable {
        /// Dimensions, outermost first, as the file gives them.
        public var shape: [Int]
        /// The values, as many as the product of `shape`.
        public var values: [Float]
    }

    /// The graph's float32 initializers by name; tensors of other types are left out.
    public private(set) var tensors: [String: Tensor] = [:]

    /// Parses `bytes` (a whole .onnx file). Throws `ONNXFormatError` for anything malformed.
    public init(bytes: [UInt8]) throws(ONNXFormatError) {
        var model = ProtobufReader(bytes[...])
        var sawGraph = false
        while let field = try model.next() {
            guard field.number == 7 else { continue }   // ModelProto.graph
            sawGraph = true
            var graph = ProtobufReader(try field.bytes())
            while let entry = try graph.next() {
                guard entry.number == 5 else { continue }   // GraphProto.initializer
                let (name, tensor) = try Self.tensor(try entry.bytes())
                if let tensor { tensors[name] = tensor }
            }
        }
        guard sawGraph else { throw ONNXFormatError("no graph in the file") }
    }

    /// A TensorProto; nil for tensors that are not float32 (Hark's models need none of those).
    private static func tensor(_ bytes: ArraySlice<UInt8>) throws(ONNXFormatError) -> (String, Tensor?) {
        var reader = ProtobufReader(bytes)
        var shape: [Int] = [], type = 0, name = ""
        var raw: ArraySlice<UInt8>?
        var floats: [Float] = []
        while let field = try reader.next() {
            switch field.number {
            case 1: shape.append(contentsOf: try field.integers())       // dims (packed or not)
            case 2: type = Int(exactly: try field.integer()) ?? -1        // data_type (any varint: unknown ones are skipped)
            case 4: floats.append(contentsOf: try field.floats())         // float_data
            case 8: name = String(decoding: try field.bytes(), as: UTF8.self)
            case 9: raw = try field.bytes()                                // raw_data
            case 14: throw ONNXFormatError("tensor '\(name)' keeps its data in an external file")
            default: break
            }
        }
        guard type == 1 else { return (name, nil) }   // 1 = FLOAT
        // Dimensions come from the file: negative ones, or ones whose product overflows, are
        // refused before they size anything.
        var count = 1
        for dimension in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard dimension >= 0, !overflow, product <= Int.max / 4 else {
                throw ONNXFormatError("tensor '\(name)' has an impossible shape \(shape)")
            }
            count = product
        }
        if let raw {
            guard raw.count == count * 4 else {
                throw ONNXFormatError("tensor '\(name)' has \(raw.count) bytes of data for shape \(shape)")
            }
            floats = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                var i = raw.startIndex
                for k in 0..<count {
                    let bits = UInt32(raw[i]) | UInt32(raw[i + 1]) << 8 | UInt32(raw[i + 2]) << 16 | UInt32(raw[i + 3]) << 24
                    buffer[k] = Float(bitPattern: bits)
                    i += 4
                }
                initialized = count
            }
        }
        guard floats.count == count else {
            throw ONNXFormatError("tensor '\(name)' has \(floats.count) values for shape \(shape)")
        }
        return (name, Tensor(shape: shape, values: floats))
    }
}

/// Why an ONNX file could not be read: malformed protobuf, no graph, a tensor kept in an
/// external file, or data that does not match its tensor's shape.
public struct ONNXFormatError: Error, Sendable, CustomStringConvertible {
    /// What was wrong, naming the field or tensor.
    public var description: String
    init(_ description: String) { self.description = description }
}

/// Protobuf wire format: a key varint (field number and wire type), then the value.
struct ProtobufReader {
    struct Field {
        var number: Int
        var wireType: Int
        var varint: UInt64 = 0
        var payload: ArraySlice<UInt8> = []

        func integer() throws(ONNXFormatError) -> UInt64 {
            guard wireType == 0 else { throw ONNXFormatError("field \(number): expected an integer") }
            return varint
        }

        func bytes() throws(ONNXFormatError) -> ArraySlice<UInt8> {
            guard wireType == 2 else { throw ONNXFormatError("field \(number): expected bytes") }
            return payload
        }

        /// Repeated int64: one unpacked value, or a packed run.
        func integers() throws(ONNXFormatError) -> [Int] {
            if wireType == 0 { return [Int(Int64(bitPattern: varint))] }
            var reader = ProtobufReader(try bytes())
            var values: [Int] = []
            while !reader.isAtEnd { values.append(Int(Int64(bitPattern: try reader.varint()))) }
            return values
        }

        /// Repeated float: one fixed32 value, or a packed run.
        func floats() throws(ONNXFormatError) -> [Float] {
            if wireType == 5 { return [Float(bitPattern: UInt32(truncatingIfNeeded: varint))] }
            let data = try bytes()
            guard data.count % 4 == 0 else { throw ONNXFormatError("field \(number): packed floats of odd length") }
            return stride(from: data.startIndex, to: data.endIndex, by: 4).map { i in
                Float(bitPattern: UInt32(data[i]) | UInt32(data[i + 1]) << 8 | UInt32(data[i + 2]) << 16 | UInt32(data[i + 3]) << 24)
            }
        }
    }

    private var data: ArraySlice<UInt8>

    init(_ data: ArraySlice<UInt8>) { self.data = data }

    var isAtEnd: Bool { data.isEmpty }

    mutating func next() throws(ONNXFormatError) -> Field? {
        guard !data.isEmpty else { return nil }
        let key = try varint()
        var field = Field(number: Int(key >> 3), wireType: Int(key & 7))
        guard field.number > 0 else { throw ONNXFormatError("field number 0") }
        switch field.wireType {
        case 0: field.varint = try varint()
        case 1: field.varint = try fixed(8)
        case 5: field.varint = try fixed(4)
        case 2:
            let length = try varint()
            guard length <= UInt64(data.count) else { throw ONNXFormatError("field \(field.number) runs past the end of the file") }
            field.payload = data.prefix(Int(length))
            data = data.dropFirst(Int(length))
        default:
            throw ONNXFormatError("unsupported wire type \(field.wireType) for field \(field.number)")
        }
        return field
    }

    mutating func varint() throws(ONNXFormatError) -> UInt64 {
        var value: UInt64 = 0
        for shift in stride(from: 0, to: 64, by: 7) {
            guard let byte = data.popFirst() else { throw ONNXFormatError("the file ends inside a number") }
            value |= UInt64(byte & 0x7F) << UInt64(shift)
            if byte < 0x80 { return value }
        }
        throw ONNXFormatError("a number longer than 10 bytes")
    }

    private mutating func fixed(_ width: Int) throws(ONNXFormatError) -> UInt64 {
        guard data.count >= width else { throw ONNXFormatError("the file ends inside a fixed-width value") }
        var value: UInt64 = 0
        for (k, byte) in data.prefix(width).enumerated() { value |= UInt64(byte) << UInt64(8 * k) }
        data = data.dropFirst(width)
        return value
    }
}
