;; Reductions and norms: column/row sums, row sums of squares, dense per-example norms and outer products, the finiteness test.
;; Part of the one kernels module that scripts/build-wasm.mjs assembles from src/engine/wasm/kernels/*.wat
;; (see module.wat for the conventions shared by every file).

  ;; out[j] = alpha·Σᵢ x[i,j] + beta·out[j] (beta = 0 overwrites): the bias gradient of a batch.
  (func (export "col_sums")
    (param $m i32) (param $n i32) (param $alpha f32) (param $x i32) (param $beta f32) (param $out i32)
    (local $j i32) (local $i i32) (local $p i32) (local $n4 i32) (local $acc v128) (local $s f32)
    (local.set $n4 (i32.shl (local.get $n) (i32.const 2)))
    (block $done4
      (loop $by4
        (br_if $done4 (i32.gt_s (i32.add (local.get $j) (i32.const 4)) (local.get $n)))
        (local.set $acc (f32x4.splat (f32.const 0)))
        (local.set $p (i32.add (local.get $x) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $i (local.get $m))
        (block $doneI (loop $rows
          (br_if $doneI (i32.le_s (local.get $i) (i32.const 0)))
          (local.set $acc (f32x4.add (local.get $acc) (v128.load (local.get $p))))
          (local.set $p (i32.add (local.get $p) (local.get $n4)))
          (local.set $i (i32.sub (local.get $i) (i32.const 1)))
          (br $rows)))
        (call $store4 (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2)))
          (local.get $acc) (local.get $alpha) (local.get $beta))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $by4)))
    (block $done1
      (loop $by1
        (br_if $done1 (i32.ge_s (local.get $j) (local.get $n)))
        (local.set $s (f32.const 0))
        (local.set $p (i32.add (local.get $x) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $i (local.get $m))
        (block $doneI (loop $rows
          (br_if $doneI (i32.le_s (local.get $i) (i32.const 0)))
          (local.set $s (f32.add (local.get $s) (f32.load (local.get $p))))
          (local.set $p (i32.add (local.get $p) (local.get $n4)))
          (local.set $i (i32.sub (local.get $i) (i32.const 1)))
          (br $rows)))
        (call $store1 (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2)))
          (local.get $s) (local.get $alpha) (local.get $beta))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $by1))))

  ;; out[i] = Σⱼ x[i,j]² for an m×n matrix.
  (func (export "row_sumsq") (param $m i32) (param $n i32) (param $x i32) (param $out i32)
    (local $n4 i32)
    (local.set $n4 (i32.shl (local.get $n) (i32.const 2)))
    (block $done (loop $rows
      (br_if $done (i32.le_s (local.get $m) (i32.const 0)))
      (f32.store (local.get $out) (call $sumsq (local.get $x) (local.get $n)))
      (local.set $x (i32.add (local.get $x) (local.get $n4)))
      (local.set $out (i32.add (local.get $out) (i32.const 4)))
      (local.set $m (i32.sub (local.get $m) (i32.const 1)))
      (br $rows))))

  ;; Squared per-example gradient norms of a dense layer, without materialising gᵢ = aᵢ ⊗ δᵢ:
  ;; out[i] = ‖aᵢ‖²·‖δᵢ‖² (+ ‖δᵢ‖² when withBias ≠ 0). a is m×p, delta is m×q.
  (func (export "dense_norms_sq")
    (param $m i32) (param $p i32) (param $q i32) (param $a i32) (param $delta i32) (param $out i32)
    (param $withBias i32)
    (local $aa f32) (local $dd f32)
    (block $done (loop $rows
      (br_if $done (i32.le_s (local.get $m) (i32.const 0)))
      (local.set $aa (call $sumsq (local.get $a) (local.get $p)))
      (local.set $dd (call $sumsq (local.get $delta) (local.get $q)))
      (f32.store (local.get $out)
        (f32.add (f32.mul (local.get $aa) (local.get $dd))
          (select (local.get $dd) (f32.const 0) (local.get $withBias))))
      (local.set $a (i32.add (local.get $a) (i32.shl (local.get $p) (i32.const 2))))
      (local.set $delta (i32.add (local.get $delta) (i32.shl (local.get $q) (i32.const 2))))
      (local.set $out (i32.add (local.get $out) (i32.const 4)))
      (local.set $m (i32.sub (local.get $m) (i32.const 1)))
      (br $rows))))

  ;; Per-example outer products: out[i, r, s] = alpha·a[i,r]·delta[i,s], out is m×p×q.
  ;; This is every example's dense weight gradient gᵢ = aᵢ ⊗ δᵢ, laid out [example][in][out] like W.
  (func (export "outer_batch")
    (param $m i32) (param $p i32) (param $q i32) (param $alpha f32) (param $a i32) (param $delta i32) (param $out i32)
    (local $r i32) (local $s i32) (local $av v128) (local $d i32) (local $af f32)
    (block $doneI (loop $examples
      (br_if $doneI (i32.le_s (local.get $m) (i32.const 0)))
      (local.set $r (local.get $p))
      (block $doneR (loop $rows
        (br_if $doneR (i32.le_s (local.get $r) (i32.const 0)))
        (local.set $af (f32.mul (f32.load (local.get $a)) (local.get $alpha)))
        (local.set $av (f32x4.splat (local.get $af)))
        (local.set $d (local.get $delta))
        (local.set $s (local.get $q))
        (block $done4 (loop $by4
          (br_if $done4 (i32.lt_s (local.get $s) (i32.const 4)))
          (v128.store (local.get $out) (f32x4.mul (local.get $av) (v128.load (local.get $d))))
          (local.set $out (i32.add (local.get $out) (i32.const 16)))
          (local.set $d (i32.add (local.get $d) (i32.const 16)))
          (local.set $s (i32.sub (local.get $s) (i32.const 4)))
          (br $by4)))
        (block $done1 (loop $by1
          (br_if $done1 (i32.le_s (local.get $s) (i32.const 0)))
          (f32.store (local.get $out) (f32.mul (local.get $af) (f32.load (local.get $d))))
          (local.set $out (i32.add (local.get $out) (i32.const 4)))
          (local.set $d (i32.add (local.get $d) (i32.const 4)))
          (local.set $s (i32.sub (local.get $s) (i32.const 1)))
          (br $by1)))
        (local.set $a (i32.add (local.get $a) (i32.const 4)))
        (local.set $r (i32.sub (local.get $r) (i32.const 1)))
        (br $rows)))
      (local.set $delta (i32.add (local.get $delta) (i32.shl (local.get $q) (i32.const 2))))
      (local.set $m (i32.sub (local.get $m) (i32.const 1)))
      (br $examples))))

;; 1 when all n floats are finite, else 0. x·0 is ±0 for finite x and NaN for ±Inf/NaN, so the sum
  ;; of x·0 is 0 exactly when everything is finite (a sum of squares could overflow on large finite x).
  (func (export "all_finite") (param $n i32) (param $x i32) (result i32)
    (local $acc v128) (local $acc1 v128) (local $acc2 v128) (local $acc3 v128) (local $zero v128) (local $s f32)
    ;; four accumulators: one add chain per vector was latency-bound (the trainer checks every
    ;; parameter and gradient each step)
    (block $done16 (loop $by16
      (br_if $done16 (i32.lt_s (local.get $n) (i32.const 16)))
      (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load (local.get $x)) (local.get $zero))))
      (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (v128.load offset=16 (local.get $x)) (local.get $zero))))
      (local.set $acc2 (f32x4.add (local.get $acc2) (f32x4.mul (v128.load offset=32 (local.get $x)) (local.get $zero))))
      (local.set $acc3 (f32x4.add (local.get $acc3) (f32x4.mul (v128.load offset=48 (local.get $x)) (local.get $zero))))
      (local.set $x (i32.add (local.get $x) (i32.const 64)))
      (local.set $n (i32.sub (local.get $n) (i32.const 16)))
      (br $by16)))
    (local.set $acc (f32x4.add (f32x4.add (local.get $acc) (local.get $acc1)) (f32x4.add (local.get $acc2) (local.get $acc3))))
    (block $done4 (loop $by4
      (br_if $done4 (i32.lt_s (local.get $n) (i32.const 4)))
      (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load (local.get $x)) (local.get $zero))))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (local.set $n (i32.sub (local.get $n) (i32.const 4)))
      (br $by4)))
    (local.set $s (call $hsum (local.get $acc)))
    (block $done1 (loop $by1
      (br_if $done1 (i32.le_s (local.get $n) (i32.const 0)))
      (local.set $s (f32.add (local.get $s) (f32.mul (f32.load (local.get $x)) (f32.const 0))))
      (local.set $x (i32.add (local.get $x) (i32.const 4)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $by1)))
    (f32.eq (local.get $s) (f32.const 0)))


  ;; out[i] = alpha·Σⱼ x[i,j] for an m×n matrix (e.g. a conv bias gradient per example and filter).
  (func (export "row_sums") (param $m i32) (param $n i32) (param $alpha f32) (param $x i32) (param $out i32)
    (local $acc v128) (local $s f32) (local $j i32)
    (block $done (loop $rows
      (br_if $done (i32.le_s (local.get $m) (i32.const 0)))
      (local.set $acc (f32x4.splat (f32.const 0)))
      (local.set $j (local.get $n))
      (block $done4 (loop $by4
        (br_if $done4 (i32.lt_s (local.get $j) (i32.const 4)))
        (local.set $acc (f32x4.add (local.get $acc) (v128.load (local.get $x))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $j (i32.sub (local.get $j) (i32.const 4)))
        (br $by4)))
      (local.set $s (call $hsum (local.get $acc)))
      (block $done1 (loop $by1
        (br_if $done1 (i32.le_s (local.get $j) (i32.const 0)))
        (local.set $s (f32.add (local.get $s) (f32.load (local.get $x))))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $j (i32.sub (local.get $j) (i32.const 1)))
        (br $by1)))
      (f32.store (local.get $out) (f32.mul (local.get $alpha) (local.get $s)))
      (local.set $out (i32.add (local.get $out) (i32.const 4)))
      (local.set $m (i32.sub (local.get $m) (i32.const 1)))
      (br $rows))))

