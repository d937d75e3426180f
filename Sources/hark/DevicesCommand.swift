import ArgumentParser
import Foundation
import Hark

struct DevicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
        abstract: "List the capture devices with their default rates.",
        discussion: "Pick one for `hark record --device` by its index or a piece of its name.")

    @Flag(help: "One JSON object per device.")
    var json = false

    func run() throws {
        let devices = try listInputDevices()
        if json {
            let encoder = JSON.encoder
            for device in devices { print(String(decoding: try encoder.encode(device), as: UTF8.self)) }
            return
        }
        guard !devices.isEmpty else {
            print("No capture devices. Plug in a microphone or start PulseAudio; `hark record --input FILE` works without one.")
            return
        }
        print("index  channels  default rate  name")
        for device in devices {
            let marker = device.isDefault ? "  (default)" : ""
            let index = String(device.index).padding(toLength: 5, withPad: " ", startingAt: 0)
            let channels = String(device.maxInputChannels).padding(toLength: 8, withPad: " ", startingAt: 0)
            let rate = "\(Int(device.defaultSampleRate)) Hz".padding(toLength: 12, withPad: " ", startingAt: 0)
            print("\(index)  \(channels)  \(rate)  \(device.name)\(marker)")
        }
    }
}
