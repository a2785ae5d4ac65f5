/// Where the channel axis sits in image-like tensors. Keras: the `data_format` argument.
public enum DataFormat: String, Sendable, CaseIterable {
    /// `(batch, ..., channels)`, Keras's default.
    case channelsLast = "channels_last"
    /// `(batch, channels, ...)`.
    case channelsFirst = "channels_first"

    /// The format with a Keras name; throws for anything else.
    public static func named(_ name: String) throws -> DataFormat {
        // (Keras's standardize_data_format lowercases it: "CHANNELS_LAST" is channels_last)
        guard let f = DataFormat(rawValue: name.lowercased()) else {
            throw KerasError.invalidArgument("data_format '\(name)' is not one of \"channels_last\", \"channels_first\"")
        }
        return f
    }
}
