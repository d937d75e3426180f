/// Averages interleaved channels into mono, appending to `output`.
public func appendDownmix(_ input: UnsafeBufferPointer<Float>, channels: Int, to output: inout [Float]) {
    if channels == 1 {
        output.append(contentsOf: input)
        return
    }
    let frames = input.count / channels
    let scale = 1 / Float(channels)
    for frame in 0..<frames {
        var sum: Float = 0
        let base = frame * channels
        for channel in 0..<channels { sum += input[base + channel] }
        output.append(sum * scale)
    }
}
