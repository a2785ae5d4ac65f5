/// How `TextVectorization` standardizes each input string before splitting it, as TensorFlow
/// does it for Keras: `tf.strings.lower` (ASCII letters only) and removal of the ASCII
/// punctuation `!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~`. Keras: `standardize`.
public enum TextStandardization: String, LayerArgumentValue, Sendable {
    case lowerAndStripPunctuation = "lower_and_strip_punctuation"
    case lower
    case stripPunctuation = "strip_punctuation"

    public var configValue: JSON { .string(rawValue) }

    /// `s` lowercased and/or without punctuation.
    func apply(_ s: String) -> String {
        let lower = self != .stripPunctuation, strip = self != .lower
        var bytes: [UInt8] = []
        bytes.reserveCapacity(s.utf8.count)
        for b in s.utf8 {
            if strip && Self.isPunctuation(b) { continue }
            bytes.append(lower && b >= 0x41 && b <= 0x5A ? b + 32 : b)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Keras's `[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']`: Python's `string.punctuation`.
    @inline(__always) static func isPunctuation(_ b: UInt8) -> Bool {
        (b >= 0x21 && b <= 0x2F) || (b >= 0x3A && b <= 0x40) || (b >= 0x5B && b <= 0x60) || (b >= 0x7B && b <= 0x7E)
    }
}

/// How `TextVectorization` splits a standardized string into tokens. Keras: `split`.
public enum TextSplit: String, LayerArgumentValue, Sendable {
    /// On runs of ASCII whitespace, without empty tokens (`tf.strings.split`).
    case whitespace
    /// Into Unicode code points (`tf.strings.unicode_split(..., "UTF-8")`).
    case character

    public var configValue: JSON { .string(rawValue) }

    /// The tokens of `s`.
    func apply(_ s: String) -> [String] {
        switch self {
        case .character:
            return s.unicodeScalars.map { String($0) }
        case .whitespace:
            var out: [String] = []
            var start: String.UTF8View.Index?
            let utf8 = s.utf8
            for i in utf8.indices {
                let b = utf8[i]
                let space = b == 0x20 || (b >= 0x09 && b <= 0x0D)
                if space, let st = start {
                    out.append(String(s[st..<i]))
                    start = nil
                } else if !space && start == nil {
                    start = i
                }
            }
            if let st = start { out.append(String(s[st...])) }
            return out
        }
    }
}

/// `tf.strings.ngrams(tokens, ngram_width=widths, separator=" ")`: for each width in order,
/// every window of that many consecutive tokens joined by a space (none when the row is shorter).
func textNgrams(_ tokens: [String], widths: [Int]) -> [String] {
    var out: [String] = []
    for n in widths where n <= tokens.count {
        for i in 0...(tokens.count - n) { out.append(tokens[i..<(i + n)].joined(separator: " ")) }
    }
    return out
}
