import HarkAudio
import HarkCore

/// The capture devices this machine offers, as the recorder sees them.
public func listInputDevices() throws -> [InputDevice] {
    try AudioDevices.inputs()
}
