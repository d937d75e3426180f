import Foundation

/// The pieces of word timing that are plain arithmetic on the cross-attention of the alignment
/// heads, as OpenAI's Whisper defines them and CTranslate2 (faster-whisper) computes them:
/// standardise each head over the tokens, a median filter along time, the mean of the heads,
/// then dynamic time warping from tokens to encoder frames.
enum WordAlignment {
    /// `values` (rows × columns) median-filtered along each row with `width` (odd), the edges
    /// reflected (…, x2, x1, [x0, x1, x2, …]).
    static func medianFilter(_ values: inout [Float], rows: Int, columns: Int, width: Int) {
        guard width > 1, columns > 1 else { return }
        let half = width / 2
        var window = [Float](repeating: 0, count: width)
        var row = [Float](repeating: 0, count: columns)
        for r in 0..<rows {
            for c in 0..<columns { row[c] = values[r * columns + c] }
            for c in 0..<columns {
                for k in -half...half {
                    var i = c + k
                    if i < 0 { i = -i }
                    if i >= columns { i = 2 * (columns - 1) - i }
                    window[k + half] = row[max(0, min(columns - 1, i))]
                }
                window.sort()
                values[r * columns + c] = window[half]
            }
        }
    }

    /// Each column of one head (rows × columns) standardised over the rows: (x − mean) / std,
    /// the population standard deviation.
    static func standardise(_ values: inout [Float], rows: Int, columns: Int) {
        for c in 0..<columns {
            var mean = 0.0, square = 0.0
            for r in 0..<rows { mean += Double(values[r * columns + c]) }
            mean /= Double(rows)
            for r in 0..<rows {
                let delta = Double(values[r * columns + c]) - mean
                square += delta * delta
            }
            let std = (square / Double(rows)).squareRoot()
            for r in 0..<rows { values[r * columns + c] = Float((Double(values[r * columns + c]) - mean) / std) }
        }
    }

    /// The cheapest monotonic path through `cost` (rows × columns) from its first cell to its
    /// last, as (row, column) pairs in order. Ties prefer the diagonal's absence the way Whisper's
    /// `dtw_cpu` does: a strictly cheaper diagonal, else a strictly cheaper step down, else right.
    static func path(_ cost: [Float], rows n: Int, columns m: Int) -> [(row: Int, column: Int)] {
        let width = m + 1
        // Float, as CTranslate2 sums: ties, which decide the path, depend on it.
        var total = [Float](repeating: .infinity, count: (n + 1) * width)
        var trace = [Int8](repeating: -1, count: (n + 1) * width)
        total[0] = 0
        for j in 1...max(1, m) where m > 0 {
            for i in 1...max(1, n) where n > 0 {
                let c0 = total[(i - 1) * width + j - 1], c1 = total[(i - 1) * width + j], c2 = total[i * width + j - 1]
                let (c, t): (Float, Int8)
                if c0 < c1 && c0 < c2 { (c, t) = (c0, 0) } else if c1 < c0 && c1 < c2 { (c, t) = (c1, 1) } else { (c, t) = (c2, 2) }
                total[i * width + j] = cost[(i - 1) * m + j - 1] + c
                trace[i * width + j] = t
            }
        }
        for j in 0...m { trace[j] = 2 }
        for i in 0...n { trace[i * width] = 1 }
        var i = n, j = m
        var result: [(row: Int, column: Int)] = []
        while i > 0 || j > 0 {
            result.append((i - 1, j - 1))
            switch trace[i * width + j] {
            case 0: i -= 1; j -= 1
            case 1: i -= 1
            default: j -= 1
            }
        }
        return result.reversed()
    }
}
