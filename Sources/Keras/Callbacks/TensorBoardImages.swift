/// The images of weights that TensorBoard's `write_images` shows, as Keras's
/// `_log_weight_as_image` makes them and `tf.summary.image` stores them: the weight squeezed, a
/// bias as a column, a matrix with its longer side across, a 3-D kernel as one image per last
/// index; values scaled to bytes (`x * 255.5` clipped to 0...255); at most 3 images, as PNGs.
enum WeightImages {
    /// `[width, height, png...]` for the weight, or nil where Keras writes no image.
    static func encoded(_ t: Tensor, maxImages: Int = 3) -> (width: Int, height: Int, pngs: [[UInt8]])? {
        var shape = t.shape.filter { $0 != 1 }
        var values = t.scalars
        switch shape.count {
        case 1:
            shape = [1, shape[0], 1, 1]
        case 2:
            if shape[0] > shape[1] {
                values = transposed(values, shape[0], shape[1], 1, order: [1, 0, 2])
                shape = [shape[1], shape[0]]
            }
            shape = [1, shape[0], shape[1], 1]
        case 3:
            // channels_last: each kernel of the last axis becomes an image.
            values = transposed(values, shape[0], shape[1], shape[2], order: [2, 0, 1])
            shape = [shape[2], shape[0], shape[1], 1]
        default:
            break
        }
        guard shape.count == 4, [1, 3, 4].contains(shape[3]) else { return nil }
        let (count, height, width, channels) = (shape[0], shape[1], shape[2], shape[3])
        let size = height * width * channels
        let pngs = (0..<Swift.min(count, maxImages)).map { i in
            PNG.encode(width: width, height: height, channels: channels, pixels: values[i * size..<(i + 1) * size].map { (v: Float) -> UInt8 in
                let scaled = v * 255.5
                return scaled.isNaN ? 0 : UInt8(Swift.max(0, Swift.min(255, scaled)).rounded(.towardZero))
            })
        }
        return (width, height, pngs)
    }

    /// A 3-D array (`a × b × c`, row-major) with its axes permuted to `order`.
    private static func transposed(_ v: [Float], _ a: Int, _ b: Int, _ c: Int, order: [Int]) -> [Float] {
        let dims = [a, b, c], strides = [b * c, c, 1]
        let out0 = dims[order[0]], out1 = dims[order[1]], out2 = dims[order[2]]
        var out = [Float](repeating: 0, count: v.count)
        var k = 0
        for i in 0..<out0 {
            for j in 0..<out1 {
                for l in 0..<out2 {
                    out[k] = v[i * strides[order[0]] + j * strides[order[1]] + l * strides[order[2]]]
                    k += 1
                }
            }
        }
        return out
    }
}

/// PNG files of 8-bit grey, RGB or RGBA pixels, stored without compression (zlib "stored"
/// blocks): any PNG reader decodes them to the same pixels `tf.image.encode_png` writes.
enum PNG {
    static func crc32(_ data: [UInt8]) -> UInt32 { CRC32.ieee.checksum(data) }

    static func encode(width: Int, height: Int, channels: Int, pixels: [UInt8]) -> [UInt8] {
        var raw: [UInt8] = []
        raw.reserveCapacity(height * (width * channels + 1))
        for row in 0..<height {
            raw.append(0)  // filter: none
            raw += pixels[row * width * channels..<(row + 1) * width * channels]
        }
        var zlib: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let n = Swift.min(65535, raw.count - offset)
            let final: UInt8 = offset + n == raw.count ? 1 : 0
            zlib += [final, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            zlib += raw[offset..<offset + n]
            offset += n
        } while offset < raw.count
        var a: UInt32 = 1, b: UInt32 = 0
        for x in raw { a = (a + UInt32(x)) % 65521; b = (b + a) % 65521 }
        zlib += bigEndian(b << 16 | a)
        let colorType: UInt8 = [1: 0, 3: 2, 4: 6][channels] ?? 0
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        png += chunk("IHDR", bigEndian(UInt32(width)) + bigEndian(UInt32(height)) + [8, colorType, 0, 0, 0])
        png += chunk("IDAT", zlib)
        png += chunk("IEND", [])
        return png
    }

    private static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + data
        return bigEndian(UInt32(data.count)) + typed + bigEndian(crc32(typed))
    }

    private static func bigEndian(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
}
