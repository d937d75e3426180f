extension SessionManifest {
    /// The transcribed text of every done segment, timed from the session's start, with the id of
    /// the segment each piece came from.
    public var transcriptSegments: [(segment: Int, piece: TranscriptSegment)] {
        segments.flatMap { segment -> [(segment: Int, piece: TranscriptSegment)] in
            guard let t = segment.transcription, t.state == .done else { return [] }
            let pieces = (t.segments ?? []).isEmpty
                ? (t.text.map { $0.isEmpty ? [] : [TranscriptSegment(start: 0, end: segment.duration, text: $0)] } ?? [])
                : t.segments!
            return pieces.map { piece in (segment.id, piece.shifted(by: segment.audioStart, endingBy: segment.duration)) }
        }
    }
}
