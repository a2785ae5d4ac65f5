import Foundation

/// Image kernels on `(batch, height, width, channels)` tensors: crops, resizing as
/// `jax.image.resize` computes it (half-pixel centres, no antialiasing), and the affine
/// resampling of `jax.scipy.ndimage.map_coordinates` with its fill modes.
extension Kernels {
    /// The window `[top, top + height) × [left, left + width)` of every image.
    static func crop(_ x: Tensor, top: Int, left: Int, height: Int, width: Int) -> Tensor {
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let out = Tensor.uninitialized([n, height, width, c])
        let p = x.data, o = out.data
        for b in 0..<n {
            for y in 0..<height {
                let src = p + ((b * h + top + y) * w + left) * c
                (o + (b * height + y) * width * c).update(from: src, count: width * c)
            }
        }
        return out
    }

    /// Resizes every image to `height × width`: bilinear (triangle weights at the half-pixel
    /// sample points, normalized over the pixels inside the image) or nearest (the pixel
    /// `floor((i + 0.5) · in / out)`), as `jax.image.resize` without antialiasing.
    static func resize(_ x: Tensor, height: Int, width: Int, bilinear: Bool) -> Tensor {
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        if h == height && w == width { return x.copy() }
        let rows = bilinear ? linearTaps(from: h, to: height) : nearestTaps(from: h, to: height)
        let cols = bilinear ? linearTaps(from: w, to: width) : nearestTaps(from: w, to: width)
        let out = Tensor(shape: [n, height, width, c], repeating: 0)
        let p = x.data, o = out.data
        for b in 0..<n {
            for (y, rowTaps) in rows.enumerated() {
                for (xo, colTaps) in cols.enumerated() {
                    let dst = o + ((b * height + y) * width + xo) * c
                    for (ry, wy) in rowTaps {
                        for (cx, wx) in colTaps {
                            let src = p + ((b * h + ry) * w + cx) * c
                            let weight = wy * wx
                            for k in 0..<c { dst[k] += weight * src[k] }
                        }
                    }
                }
            }
        }
        return out
    }

    /// For each output index, the input indices and weights of a triangle kernel at the sample
    /// point `(i + 0.5) · in / out − 0.5`, normalized to sum 1.
    private static func linearTaps(from size: Int, to out: Int) -> [[(Int, Float)]] {
        let scale = Float(size) / Float(out)
        return (0..<out).map { i in
            let s = (Float(i) + 0.5) * scale - 0.5
            let lo = Int(s.rounded(.down))
            var taps: [(Int, Float)] = []
            for j in [lo, lo + 1] where j >= 0 && j < size {
                let wt = Swift.max(0, 1 - abs(s - Float(j)))
                if wt > 0 { taps.append((j, wt)) }
            }
            let total = taps.reduce(0) { $0 + $1.1 }
            return total > 0 ? taps.map { ($0.0, $0.1 / total) } : [(Swift.min(Swift.max(lo, 0), size - 1), 1)]
        }
    }

    private static func nearestTaps(from size: Int, to out: Int) -> [[(Int, Float)]] {
        (0..<out).map { i in
            let offset = ((Float(i) + 0.5) * Float(size) / Float(out)).rounded(.down)
            return [(Swift.min(Int(offset), size - 1), 1)]
        }
    }

    /// Resamples image `b` at input points `(a0·x + a1·y + a2, b0·x + b1·y + b2)` for each output
    /// pixel `(x, y)`, with `transforms[b] = [a0, a1, a2, b0, b1, b2]` (or, projective, with
    /// `[c0, c1]` after them: both divided by `c0·x + c1·y + 1`); see ``resample``.
    static func affine(_ x: Tensor, transforms: [[Float]], bilinear: Bool, fillMode: String, fillValue: Float) -> Tensor {
        resample(x, bilinear: bilinear, fillMode: fillMode, fillValue: fillValue,
                 at: ProjectiveMaps(maps: transforms.flatMap { t in (0..<8).map { $0 < t.count ? t[$0] : 0 } }))
    }

    /// Resamples each output pixel `(x, y)` of image `b` at the input point `points.point(b, x, y)`;
    /// order 1 (bilinear) or 0 (nearest, rounding half away from zero as jax's `lax.round`),
    /// points outside handled by `fillMode` as `map_coordinates` does (`reflect`:
    /// `dcba|abcd|dcba`, `mirror`: `dcb|abcd|cba`, `wrap`, `nearest`, `constant`: `fillValue`
    /// for each outside neighbour).
    /// Generic over the points, so that each caller's are specialized into the loop.
    static func resample<P: SamplePoints>(_ x: Tensor, bilinear: Bool, fillMode: String, fillValue: Float, at points: P) -> Tensor {
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let out = Tensor.uninitialized(x.shape)
        let p = x.data, o = out.data
        func fix(_ i: Int, _ size: Int) -> Int? {
            switch fillMode {
            case "nearest": return Swift.min(Swift.max(i, 0), size - 1)
            case "wrap": return ((i % size) + size) % size
            case "mirror":
                // _mirror_index_fixer: |((i + s) mod 2s) − s|, s = size − 1.
                let s = size - 1
                return s == 0 ? 0 : abs((((i + s) % (2 * s)) + 2 * s) % (2 * s) - s)
            case "reflect":
                // _reflect_index_fixer: floor((mirror(2i + 1, 2·size + 1) − 1) / 2).
                let s = 2 * size
                let m = abs((((2 * i + 1) + s) % (2 * s) + 2 * s) % (2 * s) - s)
                return (m - 1) >= 0 ? (m - 1) / 2 : -1
            default: return i >= 0 && i < size ? i : nil
            }
        }
        for b in 0..<n {
            for y in 0..<h {
                for xo in 0..<w {
                    let (xin, yin) = points.point(image: b, x: xo, y: y)
                    let dst = o + ((b * h + y) * w + xo) * c
                    // Far outside (a projective map's vanishing line): the fill, no integer index.
                    guard xin.magnitude < 1e7, yin.magnitude < 1e7 else {
                        for k in 0..<c { dst[k] = fillValue }
                        continue
                    }
                    let ys: [(Int, Float)], xs: [(Int, Float)]
                    if bilinear {
                        let fy = yin.rounded(.down), fx = xin.rounded(.down)
                        ys = [(Int(fy), 1 - (yin - fy)), (Int(fy) + 1, yin - fy)]
                        xs = [(Int(fx), 1 - (xin - fx)), (Int(fx) + 1, xin - fx)]
                    } else {
                        ys = [(Int(yin.rounded(.toNearestOrAwayFromZero)), 1)]
                        xs = [(Int(xin.rounded(.toNearestOrAwayFromZero)), 1)]
                    }
                    for k in 0..<c { dst[k] = 0 }
                    for (iy, wy) in ys {
                        let fy = fix(iy, h)
                        for (ix, wx) in xs {
                            let weight = wy * wx
                            guard let fy, let fx = fix(ix, w) else {
                                for k in 0..<c { dst[k] += weight * fillValue }
                                continue
                            }
                            let src = p + ((b * h + fy) * w + fx) * c
                            for k in 0..<c { dst[k] += weight * src[k] }
                        }
                    }
                }
            }
        }
        return out
    }
}

/// Where ``Kernels/resample`` samples the input for each output pixel.
protocol SamplePoints {
    /// The input point `(x, y)` output pixel `(x, y)` of image `image` takes.
    func point(image: Int, x: Int, y: Int) -> (Float, Float)
}

/// Eight numbers `[a0, a1, a2, b0, b1, b2, c0, c1]` per image: the point is
/// `((a0·x + a1·y + a2) / k, (b0·x + b1·y + b2) / k)`, `k = c0·x + c1·y + 1` (1 for an affine map).
struct ProjectiveMaps: SamplePoints {
    let maps: [Float]
    func point(image: Int, x: Int, y: Int) -> (Float, Float) {
        let t = 8 * image, fx = Float(x), fy = Float(y)
        let k = maps[t + 6] * fx + maps[t + 7] * fy + 1
        return ((maps[t] * fx + maps[t + 1] * fy + maps[t + 2]) / k, (maps[t + 3] * fx + maps[t + 4] * fy + maps[t + 5]) / k)
    }
}
