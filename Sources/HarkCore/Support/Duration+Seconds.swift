extension Duration {
    /// The duration as seconds, for arithmetic and JSON.
    public var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }
}
