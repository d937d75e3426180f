import Foundation
import HarkBLAS
import HarkCore

/// Silero VAD v6 (16 kHz) weights, read from the official ONNX file and rearranged once for the
/// matrix products of `SileroNetwork`.
///
/// Only ONNX files hold the official checkpoint: `silero_vad_16k.safetensors` in the same wheel is
/// a different one (see ../shared/reference/silero-vad.md), so Hark never reads it.
public final class SileroModel: Sendable {
    /// The file Hark's setup installs from PyPI `silero-vad==6.2.3`.
    public static let fileName = "silero_vad_16k_op15.onnx"

    /// The STFT, folded: a 256-point DFT of a windowed frame is, for even bins, a 128-point sum
    /// over (first half + second half) and, for odd bins, over (first half − second half), since
    /// e^(−iπk) = ±1. Two products with K = 128 then do the work of one with K = 256: half the
    /// multiply-adds of the model's own 258 × 256 basis, which is checked against this at load.
    let window: [Float]        // 256, the periodic Hann window (row 0 of the model's basis)
    let evenBins: [Float]      // 130 × 128: cos rows for k = 0, 2, …, 128, then −sin rows
    let oddBins: [Float]       // 128 × 128: cos rows for k = 1, 3, …, 127, then −sin rows
    /// Convolutions with taps regrouped as [out][tap][in], so im2col rows are copies of time steps.
    let conv1: [Float], conv1Bias: [Float]     // 128 × (3·129)
    let conv2: [Float], conv2Bias: [Float]     // 64 × (3·128)
    /// conv3 runs on two time steps with stride 2 and padding 1: its first tap always meets padding.
    let conv3: [Float], conv3Bias: [Float]     // 64 × (2·64), taps 1 and 2
    /// conv4 runs on one time step with padding 1: only its centre tap meets data.
    let conv4: [Float], conv4Bias: [Float]     // 128 × 64
    /// [W_ih | W_hh], 512 × 256, gate blocks i, f, g, o (PyTorch order), and b_ih + b_hh.
    let lstm: [Float], lstmBias: [Float]
    let head: [Float], headBias: Float

    /// Loads and checks `path`. Errors name the file and say how to install a good one.
    public convenience init(path: String) throws(HarkError) {
        try BLAS.load()
        guard FileManager.default.fileExists(atPath: path) else {
            throw HarkError(.modelMissing, """
                The Silero VAD model is not installed: '\(path)' does not exist. Install it with \
                `make models` (or scripts/install-models.sh), or record with --vad energy.
                """)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw HarkError(.modelMissing, "Cannot read the Silero VAD model '\(path)'. Check its permissions.")
        }
        do {
            try self.init(tensors: try ONNXTensors(bytes: Array(data)))
        } catch let error as ONNXFormatError {
            throw Self.corrupt(path, error.description)
        } catch let error as SileroShapeError {
            throw Self.corrupt(path, error.description)
        } catch {
            throw Self.corrupt(path, "\(error)")
        }
    }

    private static func corrupt(_ path: String, _ detail: String) -> HarkError {
        HarkError(.modelCorrupt, """
            '\(path)' is not a usable Silero VAD v6 model (\(detail)). Reinstall it with `make models` \
            (or scripts/install-models.sh), which fetches and checks silero-vad 6.2.3 from PyPI.
            """)
    }

    init(tensors file: ONNXTensors) throws {
        func tensor(_ name: String, _ shape: [Int]) throws -> [Float] {
            guard let t = file.tensors[name] else { throw SileroShapeError("no tensor '\(name)'") }
            guard t.shape == shape else { throw SileroShapeError("'\(name)' has shape \(t.shape), expected \(shape)") }
            guard t.values.allSatisfy(\.isFinite) else { throw SileroShapeError("'\(name)' holds NaN or infinite values") }
            return t.values
        }
        let basis = try tensor("model.stft.forward_basis_buffer", [258, 1, 256])
        (window, evenBins, oddBins) = try Self.foldedDFT(checking: basis)
        let w1 = try tensor("model.encoder.0.reparam_conv.weight", [128, 129, 3])
        let w2 = try tensor("model.encoder.1.reparam_conv.weight", [64, 128, 3])
        let w3 = try tensor("model.encoder.2.reparam_conv.weight", [64, 64, 3])
        let w4 = try tensor("model.encoder.3.reparam_conv.weight", [128, 64, 3])
        conv1 = Convolution.regroup(w1, out: 128, in: 129, taps: 0..<3)
        conv2 = Convolution.regroup(w2, out: 64, in: 128, taps: 0..<3)
        conv3 = Convolution.regroup(w3, out: 64, in: 64, taps: 1..<3)
        conv4 = Convolution.regroup(w4, out: 128, in: 64, taps: 1..<2)
        conv1Bias = try tensor("model.encoder.0.reparam_conv.bias", [128])
        conv2Bias = try tensor("model.encoder.1.reparam_conv.bias", [64])
        conv3Bias = try tensor("model.encoder.2.reparam_conv.bias", [64])
        conv4Bias = try tensor("model.encoder.3.reparam_conv.bias", [128])

        let wih = try tensor("model.decoder.rnn.weight_ih", [512, 128])
        let whh = try tensor("model.decoder.rnn.weight_hh", [512, 128])
        var lstm = [Float](repeating: 0, count: 512 * 256)
        for row in 0..<512 {
            for k in 0..<128 {
                lstm[row * 256 + k] = wih[row * 128 + k]
                lstm[row * 256 + 128 + k] = whh[row * 128 + k]
            }
        }
        self.lstm = lstm
        let bih = try tensor("model.decoder.rnn.bias_ih", [512])
        let bhh = try tensor("model.decoder.rnn.bias_hh", [512])
        lstmBias = zip(bih, bhh).map { $0 + $1 }
        head = try tensor("model.decoder.decoder.2.weight", [1, 128, 1])
        headBias = try tensor("model.decoder.decoder.2.bias", [1])[0]
    }

    private static func foldedDFT(checking basis: [Float]) throws -> ([Float], [Float], [Float]) {
        let window = Array(basis[0..<256])
        var worst = 0.0
        for k in 0...128 {
            for n in 0..<256 {
                let angle = 2 * Double.pi * Double(k * n % 256) / 256
                worst = max(worst, abs(Double(basis[k * 256 + n]) - Double(window[n]) * cos(angle)),
                            abs(Double(basis[(129 + k) * 256 + n]) + Double(window[n]) * sin(angle)))
            }
        }
        guard worst < 1e-5 else { throw SileroShapeError("its STFT basis is not a Hann-windowed DFT (off by \(worst))") }
        func rows(_ bins: [Int]) -> [Float] {
            var result = [Float](repeating: 0, count: 2 * bins.count * 128)
            for (row, k) in bins.enumerated() {
                for n in 0..<128 {
                    let angle = 2 * Double.pi * Double(k * n % 256) / 256
                    result[row * 128 + n] = Float(cos(angle))
                    result[(bins.count + row) * 128 + n] = Float(-sin(angle))
                }
            }
            return result
        }
        return (window, rows(Array(stride(from: 0, through: 128, by: 2))), rows(Array(stride(from: 1, to: 128, by: 2))))
    }
}

struct SileroShapeError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
