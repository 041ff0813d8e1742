;; Activations: bias + activation forward, and the activation backward pass.
;; Part of the one kernels module that scripts/build-wasm.mjs assembles from src/engine/wasm/kernels/*.wat
;; (see module.wat for the conventions shared by every file).

  ;; ---------------------------------------------------------------------------------------------
  ;; Element-wise and reduction kernels.
  ;; Activation codes: 0 linear, 1 relu, 2 leaky-relu (slope given). tanh/sigmoid stay in JS:
  ;; WASM has no vector exp and a polynomial would not match the reference to float tolerance.

  (func $act1 (param $v f32) (param $kind i32) (param $slope f32) (result f32)
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

  ;; gradIn[t] = gradOut[t]·act'(z[t]) for `size` elements, z the pre-activation:
  ;; relu' = [z > 0], leaky' = z > 0 ? 1 : slope (so 0 ↦ 0 / slope, as src/engine/activations.ts).
  ;; gradIn may alias gradOut.
  (func (export "act_backward")
    (param $size i32) (param $z i32) (param $gradOut i32) (param $gradIn i32)
    (param $kind i32) (param $slope f32)
    (local $g v128) (local $pos v128) (local $gs f32)
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

