@_exported import HarkCore
