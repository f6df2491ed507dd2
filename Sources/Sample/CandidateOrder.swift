// The candidates' order as one integer each, so ordering a vocabulary is integer work: a 64-bit key whose
// high half orders by logit (descending) and whose low half is the token id (ascending on ties). Sorting the
// keys ascending gives the sampler chain's order; keys are unique, so every selection is unambiguous.

/// The sort key of (logit, token id): ascending keys = descending logits, then ascending ids.
@inline(__always) func candidateKey(_ logit: Float, _ id: Int) -> UInt64 {
    // -0 and +0 compare equal, so they must order by id alone
    let bits = logit == 0 ? 0 : logit.bitPattern
    let ascending = bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
    return UInt64(~ascending) << 32 | UInt64(UInt32(truncatingIfNeeded: id))
}

@inline(__always) func keyLogit(_ key: UInt64) -> Float {
    let ascending = ~UInt32(truncatingIfNeeded: key >> 32)
    return Float(bitPattern: ascending & 0x8000_0000 != 0 ? ascending & 0x7fff_ffff : ~ascending)
}

@inline(__always) func keyID(_ key: UInt64) -> Int32 { Int32(bitPattern: UInt32(truncatingIfNeeded: key)) }

/// Sorts `keys[0..<n]`, written in ascending id order, ascending, using `spare` (n entries) as room: a stable
/// radix sort of the logit half alone (three 11-bit passes, each skipped when every key shares its digit) leaves
/// ties in id order; short lists take a comparison sort.
func sortKeys(_ keys: UnsafeMutablePointer<UInt64>, _ n: Int, spare: UnsafeMutablePointer<UInt64>) {
    if n < 2 { return }
    if n <= 256 {
        var b = UnsafeMutableBufferPointer(start: keys, count: n)
        b.sort()
        return
    }
    var src = keys, dst = spare
    withUnsafeTemporaryAllocation(of: Int.self, capacity: 2048) { count in
        for shift in [32, 43, 54] as [UInt64] {
            let bins = shift == 54 ? 1024 : 2048
            count.initialize(repeating: 0)
            for i in 0..<n { count[Int((src[i] >> shift) & UInt64(bins - 1))] += 1 }
            if count[Int((src[0] >> shift) & UInt64(bins - 1))] == n { continue }   // one digit for all
            var at = 0
            for b in 0..<bins { let c = count[b]; count[b] = at; at += c }
            for i in 0..<n {
                let k = src[i], b = Int((k >> shift) & UInt64(bins - 1))
                dst[count[b]] = k; count[b] += 1
            }
            swap(&src, &dst)
        }
    }
    if src != keys { keys.update(from: src, count: n) }
}

/// The k-th smallest of `keys[0..<n]` (k in 1...n), found by selection in `spare` (the keys are left as they
/// are): the bound below which the first k candidates lie.
func kthSmallestKey(_ keys: UnsafeMutablePointer<UInt64>, _ n: Int, _ k: Int, spare a: UnsafeMutablePointer<UInt64>) -> UInt64 {
    a.update(from: keys, count: n)
    var lo = 0, hi = n - 1, want = k - 1
    var rounds = 0
    while lo < hi {
        rounds += 1
        if rounds > 64 {   // adversarial order: sort what is left
            var b = UnsafeMutableBufferPointer(start: a + lo, count: hi - lo + 1)
            b.sort()
            return a[want]
        }
        // median of three as pivot, then a three-way-free Hoare partition (keys are unique)
        let mid = lo + (hi - lo) / 2
        let x = a[lo], y = a[mid], z = a[hi]
        let pivot = max(min(x, y), min(max(x, y), z))
        var i = lo, j = hi
        while i <= j {
            while a[i] < pivot { i += 1 }
            while a[j] > pivot { j -= 1 }
            if i <= j { let t = a[i]; a[i] = a[j]; a[j] = t; i += 1; j -= 1 }
        }
        if want <= j { hi = j } else if want >= i { lo = i } else { return a[want] }
    }
    return a[want]
}
