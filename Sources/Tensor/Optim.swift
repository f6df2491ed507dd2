// AdamW (decoupled weight decay, as torch.optim.AdamW), global-norm gradient clipping, learning-rate schedules.
import Foundation

public struct AdamWConfig: Equatable, Sendable {
    public var beta1: Float = 0.9, beta2: Float = 0.95, eps: Float = 1e-8, weightDecay: Float = 0.1
    public init(beta1: Float = 0.9, beta2: Float = 0.95, eps: Float = 1e-8, weightDecay: Float = 0.1) {
        self.beta1 = beta1; self.beta2 = beta2; self.eps = eps; self.weightDecay = weightDecay
    }
}

/// One AdamW step over n parameters; step is 1-based. decay = false exempts this slice from weight decay.
///   p *= 1 - lr*wd;  m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;  p -= lr * mhat / (sqrt(vhat) + eps)
public func adamwUpdate(_ params: FPtr, _ m: FPtr, _ v: FPtr, _ grads: CFPtr, _ n: Int,
                        lr: Float, step: Int, config c: AdamWConfig, decay: Bool) {
    let pp = SendablePointer(params), mp = SendablePointer(m), vp = SendablePointer(v)
    let bc1 = 1 - Float(pow(Double(c.beta1), Double(step)))
    let bc2 = 1 - Float(pow(Double(c.beta2), Double(step)))
    let keep = decay ? 1 - lr * c.weightDecay : 1
    let stepSize = lr / bc1
    let bc2sqrt = bc2.squareRoot()
    parallelFor(n, grain: 1 << 14) { r in
        var i = r.lowerBound
        let b1 = F16(repeating: c.beta1), b2 = F16(repeating: c.beta2)
        let a1 = F16(repeating: 1 - c.beta1), a2 = F16(repeating: 1 - c.beta2)
        let kv = F16(repeating: keep), ss = F16(repeating: stepSize)
        let bc = F16(repeating: bc2sqrt), ev = F16(repeating: c.eps)
        while i + 16 <= r.upperBound {   // the same operations, lane by lane, as the scalar tail
            let g = load16(grads + i)
            let mi = b1 * load16(mp.p + i) + a1 * g
            let vi = b2 * load16(vp.p + i) + a2 * g * g
            store16(mp.p + i, mi); store16(vp.p + i, vi)
            let denom = vi.squareRoot() / bc + ev
            store16(pp.p + i, load16(pp.p + i) * kv - ss * mi / denom)
            i += 16
        }
        for i in i..<r.upperBound {
            let g = grads[i]
            let mi = c.beta1 * mp.p[i] + (1 - c.beta1) * g
            let vi = c.beta2 * vp.p[i] + (1 - c.beta2) * g * g
            mp.p[i] = mi; vp.p[i] = vi
            // torch: denom = sqrt(v)/sqrt(bc2) + eps; p -= (lr/bc1) * m / denom
            let denom = vi.squareRoot() / bc2sqrt + c.eps
            pp.p[i] = pp.p[i] * keep - stepSize * mi / denom
        }
    }
}

/// Global L2 norm of the gradient, summed in fixed chunks (deterministic for any thread count).
public func gradNorm(_ g: CFPtr, _ n: Int) -> Double {
    let chunk = 1 << 15
    let chunks = (n + chunk - 1) / chunk
    return withUnsafeTemporaryAllocation(of: Double.self, capacity: max(1, chunks)) { part in
        let pp = SendablePointer(part.baseAddress!)
        parallelChunks(chunks) { c in
            let lo = c * chunk, hi = min(n, lo + chunk)
            var s: Double = 0
            var i = lo
            while i + 256 <= hi { s += Double(vdot(g + i, g + i, 256)); i += 256 }
            while i < hi { s += Double(g[i] * g[i]); i += 1 }
            pp.p[c] = s
        }
        var total = 0.0
        for c in 0..<chunks { total += part[c] }
        return total.squareRoot()
    }
}

/// Scale gradients so their global norm is at most maxNorm (torch.nn.utils.clip_grad_norm_: coefficient
/// maxNorm / (norm + 1e-6), applied only when below 1). Returns the norm before clipping.
@discardableResult
public func clipGradNorm(_ g: FPtr, _ n: Int, maxNorm: Float) -> Double {
    let norm = gradNorm(g, n)
    let coef = Double(maxNorm) / (norm + 1e-6)
    if maxNorm > 0 && coef < 1 { scaleForward(g, g, Float(coef), n) }
    return norm
}

/// Learning rate as a function of the step (0-based step index of the update being taken).
public enum LRSchedule: Equatable, Sendable {
    /// lr for every step (after linear warmup)
    case constant(lr: Double, warmup: Int)
    /// linear warmup to lr, then cosine decay to minLR at totalSteps
    case cosine(lr: Double, warmup: Int, totalSteps: Int, minLR: Double)
    /// linear warmup to lr, then linear anneal to the floor minLR at totalSteps ("cooldown")
    case linear(lr: Double, warmup: Int, totalSteps: Int, minLR: Double)

    public func lr(at step: Int) -> Double {
        switch self {
        case let .constant(lr, warmup):
            return step < warmup ? lr * Double(step + 1) / Double(warmup) : lr
        case let .cosine(lr, warmup, total, minLR):
            if step < warmup { return lr * Double(step + 1) / Double(warmup) }
            let span = max(1, total - warmup)
            let frac = min(1, Double(step - warmup) / Double(span))
            return minLR + 0.5 * (lr - minLR) * (1 + cos(Double.pi * frac))
        case let .linear(lr, warmup, total, minLR):
            if step < warmup { return lr * Double(step + 1) / Double(warmup) }
            let span = max(1, total - warmup)
            let frac = min(1, Double(step - warmup) / Double(span))
            return lr + (minLR - lr) * frac
        }
    }
}
