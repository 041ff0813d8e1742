;; Gradient Lens float32 kernels, WebAssembly SIMD (128-bit, f32x4).
;;
;; Assembled at build time by scripts/build-wasm.mjs (npm `wabt`, SIMD enabled) into
;; kernels.generated.ts. Every pointer is a byte offset into the ONE imported memory, every matrix is
;; row-major float32, every size is in elements. The JS side (backend.ts) validates sizes; these
;; kernels trust their arguments.
;;
;; gemm convention (as in src/engine/backend.ts): C = alpha·op(A)·op(B) + beta·C, and beta = 0 means
;; C is overwritten without being read (so NaN already in C cannot leak into the result).
;;
;; Why several gemm kernels: the three products backprop needs have different contiguous axes.
;;   A·B   and Aᵀ·B : B's rows are contiguous along n, so a 4×8 register tile of C accumulates
;;                   broadcast(A[i,p]) × B[p, j..j+8]; A is read through (row, column) strides, which
;;                   covers A and Aᵀ without materialising a transpose.
;;   A·Bᵀ          : A's and B's rows are both contiguous along k, so C[i,j] is a dot product;
;;                   a 4×2 tile of vector accumulators runs along k and is reduced at the end.
;;   Aᵀ·Bᵀ         : rare; a strided scalar kernel (correct, slower).
;;
;; The module is split by kernel family into the files of this folder; scripts/build-wasm.mjs
;; concatenates them, in the order listed there, between "(module" and ")". This file holds the
;; memory import and the helpers the other files share.
  (import "env" "memory" (memory 1))

  ;; ---------------------------------------------------------------------------------------------
  ;; Shared helpers

  ;; Store alpha·acc (+ beta·old) to 4 floats at ptr.
  (func $store4 (param $ptr i32) (param $acc v128) (param $alpha f32) (param $beta f32)
    (if (f32.eq (local.get $beta) (f32.const 0))
      (then
        (v128.store (local.get $ptr) (f32x4.mul (local.get $acc) (f32x4.splat (local.get $alpha)))))
      (else
        (v128.store (local.get $ptr)
          (f32x4.add
            (f32x4.mul (local.get $acc) (f32x4.splat (local.get $alpha)))
            (f32x4.mul (v128.load (local.get $ptr)) (f32x4.splat (local.get $beta))))))))

  ;; Store alpha·s (+ beta·old) to one float at ptr.
  (func $store1 (param $ptr i32) (param $s f32) (param $alpha f32) (param $beta f32)
    (if (f32.eq (local.get $beta) (f32.const 0))
      (then (f32.store (local.get $ptr) (f32.mul (local.get $s) (local.get $alpha))))
      (else
        (f32.store (local.get $ptr)
          (f32.add
            (f32.mul (local.get $s) (local.get $alpha))
            (f32.mul (f32.load (local.get $ptr)) (local.get $beta)))))))

  (func $hsum (param $v v128) (result f32)
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  ;; Σ x[p]·y[p] over n contiguous floats.
  (func $dot (param $x i32) (param $y i32) (param $n i32) (result f32)
    (local $acc0 v128) (local $acc1 v128) (local $s f32)
    ;; two accumulators hide the add latency
    (block $done8
      (loop $by8
        (br_if $done8 (i32.lt_u (local.get $n) (i32.const 8)))
        (local.set $acc0 (f32x4.add (local.get $acc0)
          (f32x4.mul (v128.load (local.get $x)) (v128.load (local.get $y)))))
        (local.set $acc1 (f32x4.add (local.get $acc1)
          (f32x4.mul (v128.load offset=16 (local.get $x)) (v128.load offset=16 (local.get $y)))))
        (local.set $x (i32.add (local.get $x) (i32.const 32)))
        (local.set $y (i32.add (local.get $y) (i32.const 32)))
        (local.set $n (i32.sub (local.get $n) (i32.const 8)))
        (br $by8)))
    (if (i32.ge_u (local.get $n) (i32.const 4))
      (then
        (local.set $acc0 (f32x4.add (local.get $acc0)
          (f32x4.mul (v128.load (local.get $x)) (v128.load (local.get $y)))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (local.set $n (i32.sub (local.get $n) (i32.const 4)))))
    (local.set $s (call $hsum (f32x4.add (local.get $acc0) (local.get $acc1))))
    (block $done
      (loop $tail
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $s (f32.add (local.get $s) (f32.mul (f32.load (local.get $x)) (f32.load (local.get $y)))))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $y (i32.add (local.get $y) (i32.const 4)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $tail)))
    (local.get $s))

  ;; Σ x[p]² over n contiguous floats.
  (func $sumsq (param $x i32) (param $n i32) (result f32)
    (call $dot (local.get $x) (local.get $x) (local.get $n)))

