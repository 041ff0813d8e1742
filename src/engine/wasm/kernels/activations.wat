;; Activations: bias + activation forward, and the activation backward pass.
;; Part of the one kernels module that scripts/build-wasm.mjs assembles from src/engine/wasm/kernels/*.wat
;; (see module.wat for the conventions shared by every file).

  ;; ---------------------------------------------------------------------------------------------
  ;; Element-wise and reduction kernels.
  ;; Activation codes: 0 linear, 1 relu, 2 leaky-relu (slope given), 3 gelu (tanh approximation).
  ;; tanh/sigmoid stay in JS (Math.tanh/exp, bit-equal to the reference's float32 rounding).

  ;; e^x for 4 lanes (Cephes expf): x = n·ln2 + r, |r| ≤ ln2/2, e^r by a degree-7 polynomial,
  ;; 2^n through the exponent bits; relative error ≈ 1e-7 on [−87, 88] (inputs are clamped there).
  (func $exp4 (param $x v128) (result v128)
    (local $n v128) (local $r v128) (local $p v128)
    (local.set $x (f32x4.min (f32x4.max (local.get $x) (v128.const f32x4 -87 -87 -87 -87)) (v128.const f32x4 88 88 88 88)))
    (local.set $n (f32x4.nearest (f32x4.mul (local.get $x) (v128.const f32x4 1.44269504 1.44269504 1.44269504 1.44269504))))
    (local.set $r (f32x4.sub (f32x4.sub (local.get $x)
      (f32x4.mul (local.get $n) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375)))
      (f32x4.mul (local.get $n) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
    (local.set $p (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1)))
    ;; e^r ≈ 1 + r + r²·p
    (local.set $p (f32x4.add (f32x4.add (f32x4.mul (f32x4.mul (local.get $p) (local.get $r)) (local.get $r)) (local.get $r))
      (v128.const f32x4 1 1 1 1)))
    (f32x4.mul (local.get $p)
      (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $n)) (v128.const i32x4 127 127 127 127)) (i32.const 23))))

  ;; GELU, tanh approximation: gelu(z) = 0.5·z·(1 + tanh u), u = √(2/π)·(z + 0.044715·z³).
  ;; Computed as z·σ(2u) = z / (1 + e), e = exp(−2u) (the same function: 0.5(1 + tanh u) = σ(2u)),
  ;; which keeps full relative precision where 1 + tanh u would cancel (z ≪ 0).
  (func $geluExp4 (param $z v128) (result v128)
    (call $exp4 (f32x4.mul
      (f32x4.mul (local.get $z) (v128.const f32x4 -1.5957691216 -1.5957691216 -1.5957691216 -1.5957691216))
      (f32x4.add (v128.const f32x4 1 1 1 1)
        (f32x4.mul (v128.const f32x4 0.044715 0.044715 0.044715 0.044715) (f32x4.mul (local.get $z) (local.get $z)))))))

  (func $gelu4 (param $z v128) (result v128)
    (f32x4.div (local.get $z) (f32x4.add (v128.const f32x4 1 1 1 1) (call $geluExp4 (local.get $z)))))

  ;; gelu′(z) = σ(2u) + 2·z·σ(2u)·(1 − σ(2u))·u′ = 1/d + z·2√(2/π)·(1 + 3·0.044715·z²)·e/d², d = 1 + e.
  (func $geluGrad4 (param $z v128) (result v128)
    (local $e v128) (local $d v128)
    (local.set $e (call $geluExp4 (local.get $z)))
    (local.set $d (f32x4.add (v128.const f32x4 1 1 1 1) (local.get $e)))
    (f32x4.add (f32x4.div (v128.const f32x4 1 1 1 1) (local.get $d))
      (f32x4.mul
        (f32x4.mul (local.get $z) (v128.const f32x4 1.5957691216 1.5957691216 1.5957691216 1.5957691216))
        (f32x4.mul
          (f32x4.add (v128.const f32x4 1 1 1 1)
            (f32x4.mul (v128.const f32x4 0.134145 0.134145 0.134145 0.134145) (f32x4.mul (local.get $z) (local.get $z))))
          (f32x4.div (local.get $e) (f32x4.mul (local.get $d) (local.get $d)))))))

  (func $act1 (param $v f32) (param $kind i32) (param $slope f32) (result f32)
    (if (i32.eq (local.get $kind) (i32.const 3))
      (then (return (f32x4.extract_lane 0 (call $gelu4 (f32x4.splat (local.get $v)))))))
    (if (result f32) (i32.eq (local.get $kind) (i32.const 1))
      (then (f32.max (local.get $v) (f32.const 0)))
      (else
        (if (result f32) (i32.eq (local.get $kind) (i32.const 2))
          (then (select (local.get $v) (f32.mul (local.get $v) (local.get $slope))
                  (f32.gt (local.get $v) (f32.const 0))))
          (else (local.get $v))))))

  ;; out[i,j] = act(x[i,j] + bias[j]) for an m×n matrix; bias = 0 (null pointer) means no bias.
  ;; x and out may be the same buffer.
  (func (export "bias_act")
    (param $m i32) (param $n i32) (param $x i32) (param $bias i32) (param $out i32)
    (param $kind i32) (param $slope f32)
    (local $j i32) (local $bp i32) (local $v v128) (local $slopes v128)
    ;; a dense layer's two calls, z += b then y = relu(z), in loops of their own: the general loop's
    ;; per-vector tests of bias and kind made each pass ~3× a copy
    (if (i32.and (i32.eqz (local.get $kind)) (i32.ne (local.get $bias) (i32.const 0)))
      (then (call $addBias (local.get $m) (local.get $n) (local.get $x) (local.get $bias) (local.get $out)) (return)))
    (if (i32.and (i32.eq (local.get $kind) (i32.const 1)) (i32.eqz (local.get $bias)))
      (then (call $relu (i32.mul (local.get $m) (local.get $n)) (local.get $x) (local.get $out)) (return)))
    (local.set $slopes (f32x4.splat (local.get $slope)))
    (block $doneI
      (loop $rows
        (br_if $doneI (i32.le_s (local.get $m) (i32.const 0)))
        (local.set $j (i32.const 0))
        (local.set $bp (local.get $bias))
        (block $done4
          (loop $by4
            (br_if $done4 (i32.gt_s (i32.add (local.get $j) (i32.const 4)) (local.get $n)))
            (local.set $v (if (result v128) (local.get $bias)
              (then (f32x4.add (v128.load (local.get $x)) (v128.load (local.get $bp))))
              (else (v128.load (local.get $x)))))
            ;; the activation inline (a call per 4 floats would dominate); kind is loop-invariant
            (if (i32.eq (local.get $kind) (i32.const 1))
              (then (local.set $v (f32x4.max (local.get $v) (v128.const f32x4 0 0 0 0)))))
            (if (i32.eq (local.get $kind) (i32.const 2))
              (then (local.set $v (v128.bitselect (local.get $v) (f32x4.mul (local.get $v) (local.get $slopes))
                (f32x4.gt (local.get $v) (v128.const f32x4 0 0 0 0))))))
            (if (i32.eq (local.get $kind) (i32.const 3))
              (then (local.set $v (call $gelu4 (local.get $v)))))
            (v128.store (local.get $out) (local.get $v))
            (local.set $x (i32.add (local.get $x) (i32.const 16)))
            (local.set $out (i32.add (local.get $out) (i32.const 16)))
            (local.set $bp (i32.add (local.get $bp) (i32.const 16)))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $by4)))
        (block $done1
          (loop $by1
            (br_if $done1 (i32.ge_s (local.get $j) (local.get $n)))
            (f32.store (local.get $out)
              (call $act1
                (if (result f32) (local.get $bias)
                  (then (f32.add (f32.load (local.get $x)) (f32.load (local.get $bp))))
                  (else (f32.load (local.get $x))))
                (local.get $kind) (local.get $slope)))
            (local.set $x (i32.add (local.get $x) (i32.const 4)))
            (local.set $out (i32.add (local.get $out) (i32.const 4)))
            (local.set $bp (i32.add (local.get $bp) (i32.const 4)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $by1)))
        (local.set $m (i32.sub (local.get $m) (i32.const 1)))
        (br $rows))))

;; Channels-first planes (a conv layer's z, `rows` = examples × channels planes of n positions):
  ;; z[r][j] += bias[r mod channels], then y = act(z) (kind as bias_act; y may be z). One pass instead
  ;; of a copy of the bias into z before the product and an activation pass after it; z + b is
  ;; rounded once, as the product with beta = 1 over a bias-filled z rounded it.
  (func (export "channel_bias_act")
    (param $rows i32) (param $n i32) (param $channels i32) (param $z i32) (param $bias i32) (param $y i32)
    (param $kind i32) (param $slope f32)
    (local $c i32) (local $j i32) (local $b v128) (local $v v128) (local $slopes v128) (local $s f32)
    (local.set $slopes (f32x4.splat (local.get $slope)))
    (block $doneR (loop $planes
      (br_if $doneR (i32.le_s (local.get $rows) (i32.const 0)))
      (local.set $s (f32.load (i32.add (local.get $bias) (i32.shl (local.get $c) (i32.const 2)))))
      (local.set $b (f32x4.splat (local.get $s)))
      (local.set $j (local.get $n))
      (if (i32.eq (local.get $kind) (i32.const 1))
        (then
          ;; relu, the common case, without the per-vector tests of kind
          (block $doneR4 (loop $relu4
            (br_if $doneR4 (i32.lt_s (local.get $j) (i32.const 4)))
            (local.set $v (f32x4.add (v128.load (local.get $z)) (local.get $b)))
            (v128.store (local.get $z) (local.get $v))
            (v128.store (local.get $y) (f32x4.max (local.get $v) (v128.const f32x4 0 0 0 0)))
            (local.set $z (i32.add (local.get $z) (i32.const 16)))
            (local.set $y (i32.add (local.get $y) (i32.const 16)))
            (local.set $j (i32.sub (local.get $j) (i32.const 4)))
            (br $relu4))))
        (else
          (block $done4 (loop $by4
            (br_if $done4 (i32.lt_s (local.get $j) (i32.const 4)))
            (local.set $v (f32x4.add (v128.load (local.get $z)) (local.get $b)))
            (v128.store (local.get $z) (local.get $v))
            (if (i32.eq (local.get $kind) (i32.const 2))
              (then (local.set $v (v128.bitselect (local.get $v) (f32x4.mul (local.get $v) (local.get $slopes))
                (f32x4.gt (local.get $v) (v128.const f32x4 0 0 0 0))))))
            (if (i32.eq (local.get $kind) (i32.const 3))
              (then (local.set $v (call $gelu4 (local.get $v)))))
            (v128.store (local.get $y) (local.get $v))
            (local.set $z (i32.add (local.get $z) (i32.const 16)))
            (local.set $y (i32.add (local.get $y) (i32.const 16)))
            (local.set $j (i32.sub (local.get $j) (i32.const 4)))
            (br $by4)))))
      (block $done1 (loop $by1
        (br_if $done1 (i32.le_s (local.get $j) (i32.const 0)))
        (f32.store (local.get $z) (f32.add (f32.load (local.get $z)) (local.get $s)))
        (f32.store (local.get $y) (call $act1 (f32.load (local.get $z)) (local.get $kind) (local.get $slope)))
        (local.set $z (i32.add (local.get $z) (i32.const 4)))
        (local.set $y (i32.add (local.get $y) (i32.const 4)))
        (local.set $j (i32.sub (local.get $j) (i32.const 1)))
        (br $by1)))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (if (i32.eq (local.get $c) (local.get $channels)) (then (local.set $c (i32.const 0))))
      (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
      (br $planes))))

;; out[i,j] = x[i,j] + bias[j] (bias_act's linear case with a bias); out may be x.
  (func $addBias (param $m i32) (param $n i32) (param $x i32) (param $bias i32) (param $out i32)
    (local $j i32) (local $bp i32)
    (block $doneI (loop $rows
      (br_if $doneI (i32.le_s (local.get $m) (i32.const 0)))
      (local.set $j (local.get $n))
      (local.set $bp (local.get $bias))
      (block $done4 (loop $by4
        (br_if $done4 (i32.lt_s (local.get $j) (i32.const 4)))
        (v128.store (local.get $out) (f32x4.add (v128.load (local.get $x)) (v128.load (local.get $bp))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (local.set $bp (i32.add (local.get $bp) (i32.const 16)))
        (local.set $j (i32.sub (local.get $j) (i32.const 4)))
        (br $by4)))
      (block $done1 (loop $by1
        (br_if $done1 (i32.le_s (local.get $j) (i32.const 0)))
        (f32.store (local.get $out) (f32.add (f32.load (local.get $x)) (f32.load (local.get $bp))))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (local.set $bp (i32.add (local.get $bp) (i32.const 4)))
        (local.set $j (i32.sub (local.get $j) (i32.const 1)))
        (br $by1)))
      (local.set $m (i32.sub (local.get $m) (i32.const 1)))
      (br $rows))))

  ;; out[t] = max(x[t], 0) for `size` floats (bias_act's relu case without a bias); out may be x.
  (func $relu (param $size i32) (param $x i32) (param $out i32)
    (block $done4 (loop $by4
      (br_if $done4 (i32.lt_s (local.get $size) (i32.const 4)))
      (v128.store (local.get $out) (f32x4.max (v128.load (local.get $x)) (v128.const f32x4 0 0 0 0)))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (local.set $out (i32.add (local.get $out) (i32.const 16)))
      (local.set $size (i32.sub (local.get $size) (i32.const 4)))
      (br $by4)))
    (block $done1 (loop $by1
      (br_if $done1 (i32.le_s (local.get $size) (i32.const 0)))
      (f32.store (local.get $out) (f32.max (f32.load (local.get $x)) (f32.const 0)))
      (local.set $x (i32.add (local.get $x) (i32.const 4)))
      (local.set $out (i32.add (local.get $out) (i32.const 4)))
      (local.set $size (i32.sub (local.get $size) (i32.const 1)))
      (br $by1))))

    ;; gradIn[t] = gradOut[t]·act'(z[t]) for `size` elements, z the pre-activation:
  ;; relu' = [z > 0], leaky' = z > 0 ? 1 : slope (so 0 ↦ 0 / slope, as src/engine/activations.ts).
  ;; gradIn may alias gradOut.
  (func (export "act_backward")
    (param $size i32) (param $z i32) (param $gradOut i32) (param $gradIn i32)
    (param $kind i32) (param $slope f32)
    (local $g v128) (local $pos v128) (local $gs f32)
    (if (i32.eq (local.get $kind) (i32.const 3))
      (then (call $geluBackward (local.get $size) (local.get $z) (local.get $gradOut) (local.get $gradIn)) (return)))
    ;; relu and linear in loops of their own (the general loop tests kind per vector); the same operations
    (if (i32.eq (local.get $kind) (i32.const 1))
      (then (call $reluBackward (local.get $size) (local.get $z) (local.get $gradOut) (local.get $gradIn)) (return)))
    (if (i32.eqz (local.get $kind))
      (then
        (if (i32.ne (local.get $gradIn) (local.get $gradOut))
          (then (memory.copy (local.get $gradIn) (local.get $gradOut) (i32.shl (local.get $size) (i32.const 2)))))
        (return)))
    (block $done4
      (loop $by4
        (br_if $done4 (i32.lt_s (local.get $size) (i32.const 4)))
        (local.set $g (v128.load (local.get $gradOut)))
        (local.set $pos (f32x4.gt (v128.load (local.get $z)) (f32x4.splat (f32.const 0))))
        (v128.store (local.get $gradIn)
          (if (result v128) (i32.eq (local.get $kind) (i32.const 2))
            (then (v128.bitselect (local.get $g) (f32x4.mul (local.get $g) (f32x4.splat (local.get $slope))) (local.get $pos)))
            (else (if (result v128) (i32.eq (local.get $kind) (i32.const 1))
              (then (v128.and (local.get $g) (local.get $pos)))
              (else (local.get $g))))))
        (local.set $z (i32.add (local.get $z) (i32.const 16)))
        (local.set $gradOut (i32.add (local.get $gradOut) (i32.const 16)))
        (local.set $gradIn (i32.add (local.get $gradIn) (i32.const 16)))
        (local.set $size (i32.sub (local.get $size) (i32.const 4)))
        (br $by4)))
    (block $done1
      (loop $by1
        (br_if $done1 (i32.le_s (local.get $size) (i32.const 0)))
        (local.set $gs (f32.load (local.get $gradOut)))
        (f32.store (local.get $gradIn)
          (if (result f32) (f32.gt (f32.load (local.get $z)) (f32.const 0))
            (then (local.get $gs))
            (else
              (if (result f32) (i32.eq (local.get $kind) (i32.const 2))
                (then (f32.mul (local.get $gs) (local.get $slope)))
                (else (if (result f32) (i32.eq (local.get $kind) (i32.const 1))
                  (then (f32.const 0))
                  (else (local.get $gs))))))))
        (local.set $z (i32.add (local.get $z) (i32.const 4)))
        (local.set $gradOut (i32.add (local.get $gradOut) (i32.const 4)))
        (local.set $gradIn (i32.add (local.get $gradIn) (i32.const 4)))
        (local.set $size (i32.sub (local.get $size) (i32.const 1)))
        (br $by1))))

  ;; gradIn[t] = z[t] > 0 ? gradOut[t] : 0 (act_backward's relu case); gradIn may alias gradOut.
  (func $reluBackward (param $size i32) (param $z i32) (param $gradOut i32) (param $gradIn i32)
    (block $done4 (loop $by4
      (br_if $done4 (i32.lt_s (local.get $size) (i32.const 4)))
      (v128.store (local.get $gradIn)
        (v128.and (v128.load (local.get $gradOut)) (f32x4.gt (v128.load (local.get $z)) (f32x4.splat (f32.const 0)))))
      (local.set $z (i32.add (local.get $z) (i32.const 16)))
      (local.set $gradOut (i32.add (local.get $gradOut) (i32.const 16)))
      (local.set $gradIn (i32.add (local.get $gradIn) (i32.const 16)))
      (local.set $size (i32.sub (local.get $size) (i32.const 4)))
      (br $by4)))
    (block $done1 (loop $by1
      (br_if $done1 (i32.le_s (local.get $size) (i32.const 0)))
      (f32.store (local.get $gradIn)
        (select (f32.load (local.get $gradOut)) (f32.const 0) (f32.gt (f32.load (local.get $z)) (f32.const 0))))
      (local.set $z (i32.add (local.get $z) (i32.const 4)))
      (local.set $gradOut (i32.add (local.get $gradOut) (i32.const 4)))
      (local.set $gradIn (i32.add (local.get $gradIn) (i32.const 4)))
      (local.set $size (i32.sub (local.get $size) (i32.const 1)))
      (br $by1))))

  ;; gradIn[t] = gradOut[t]·gelu′(z[t]); the last < 4 through lane 0 of the vector formula.
  (func $geluBackward (param $size i32) (param $z i32) (param $gradOut i32) (param $gradIn i32)
    (block $done4
      (loop $by4
        (br_if $done4 (i32.lt_s (local.get $size) (i32.const 4)))
        (v128.store (local.get $gradIn)
          (f32x4.mul (v128.load (local.get $gradOut)) (call $geluGrad4 (v128.load (local.get $z)))))
        (local.set $z (i32.add (local.get $z) (i32.const 16)))
        (local.set $gradOut (i32.add (local.get $gradOut) (i32.const 16)))
        (local.set $gradIn (i32.add (local.get $gradIn) (i32.const 16)))
        (local.set $size (i32.sub (local.get $size) (i32.const 4)))
        (br $by4)))
    (block $done1
      (loop $by1
        (br_if $done1 (i32.le_s (local.get $size) (i32.const 0)))
        (f32.store (local.get $gradIn)
          (f32.mul (f32.load (local.get $gradOut))
            (f32x4.extract_lane 0 (call $geluGrad4 (f32x4.splat (f32.load (local.get $z)))))))
        (local.set $z (i32.add (local.get $z) (i32.const 4)))
        (local.set $gradOut (i32.add (local.get $gradOut) (i32.const 4)))
        (local.set $gradIn (i32.add (local.get $gradIn) (i32.const 4)))
        (local.set $size (i32.sub (local.get $size) (i32.const 1)))
        (br $by1))))
