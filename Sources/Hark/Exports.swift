@_exported import HarkCore
@_exported import HarkWhisper
