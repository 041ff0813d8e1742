;; Convolution as a gemm: im2col and its adjoint col2im.
;; Part of the one kernels module that scripts/build-wasm.mjs assembles from src/engine/wasm/kernels/*.wat
;; (see module.wat for the conventions shared by every file).

  ;; ---------------------------------------------------------------------------------------------
  ;; im2col / col2im for channels-first images, one example after another.
  ;; Per example: image [c][h][w]; cols [(ci·k + kh)·k + kw][oh·outW + ow] (rows = c·k·k,
  ;; columns = outH·outW), so that conv output [filters][outH·outW] = W[filters][c·k·k] · cols.
  ;; Pixels outside the image (padding) read as 0.

  ;; n floats = 0. A plain loop: memory.fill is a runtime call in V8, costly for short runs.
  (func $zero (param $dst i32) (param $n i32)
    (block $done4 (loop $by4
      (br_if $done4 (i32.lt_s (local.get $n) (i32.const 4)))
      (v128.store (local.get $dst) (v128.const i32x4 0 0 0 0))
      (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
      (local.set $n (i32.sub (local.get $n) (i32.const 4)))
      (br $by4)))
    (block $done1 (loop $by1
      (br_if $done1 (i32.le_s (local.get $n) (i32.const 0)))
      (f32.store (local.get $dst) (f32.const 0))
      (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $by1))))

  ;; The output columns ow in [lo, hi) whose input column ix0 + ow·stride lies inside [0, w).
  (func $validRange (param $ix0 i32) (param $stride i32) (param $w i32) (param $outW i32) (result i32 i32)
    (local $lo i32) (local $hi i32)
    ;; lo = ix0 >= 0 ? 0 : ceil(-ix0 / stride)
    (local.set $lo (select (i32.const 0)
      (i32.div_s (i32.add (i32.sub (i32.const 0) (local.get $ix0)) (i32.sub (local.get $stride) (i32.const 1))) (local.get $stride))
      (i32.ge_s (local.get $ix0) (i32.const 0))))
    ;; hi = w - 1 - ix0 < 0 ? 0 : floor((w - 1 - ix0) / stride) + 1, at most outW
    (local.set $hi (select
      (i32.add (i32.div_s (i32.sub (i32.sub (local.get $w) (i32.const 1)) (local.get $ix0)) (local.get $stride)) (i32.const 1))
      (i32.const 0)
      (i32.ge_s (i32.sub (i32.sub (local.get $w) (i32.const 1)) (local.get $ix0)) (i32.const 0))))
    (if (i32.gt_s (local.get $hi) (local.get $outW)) (then (local.set $hi (local.get $outW))))
    (if (i32.gt_s (local.get $lo) (local.get $hi)) (then (local.set $lo (local.get $hi))))
    (local.get $lo) (local.get $hi))

  (func (export "im2col")
    (param $batch i32) (param $c i32) (param $h i32) (param $w i32) (param $k i32) (param $stride i32)
    (param $padTop i32) (param $padLeft i32) (param $outH i32) (param $outW i32)
    (param $image i32) (param $cols i32)
    (local $ci i32) (local $kh i32) (local $kw i32) (local $oh i32) (local $ow i32)
    (local $iy i32) (local $ix i32) (local $plane i32) (local $imgSize i32)
    (local $lo i32) (local $hi i32) (local $src i32) (local $loK i32) (local $hiK i32) (local $t i32) (local $n i32)
    (local.set $imgSize (i32.shl (i32.mul (i32.mul (local.get $c) (local.get $h)) (local.get $w)) (i32.const 2)))
    (block $doneB (loop $examples
      (br_if $doneB (i32.le_s (local.get $batch) (i32.const 0)))
      (local.set $ci (i32.const 0))
      (block $doneC (loop $channels
        (br_if $doneC (i32.ge_s (local.get $ci) (local.get $c)))
        (local.set $plane (i32.add (local.get $image)
          (i32.shl (i32.mul (i32.mul (local.get $ci) (local.get $h)) (local.get $w)) (i32.const 2))))
        (local.set $kh (i32.const 0))
        (block $doneKH (loop $khs
          (br_if $doneKH (i32.ge_s (local.get $kh) (local.get $k)))
          (local.set $kw (i32.const 0))
          (block $doneKW (loop $kws
            (br_if $doneKW (i32.ge_s (local.get $kw) (local.get $k)))
            ;; the valid output columns depend on kw only: computed once per kernel column
            (local.set $ix (i32.sub (local.get $kw) (local.get $padLeft)))
            (call $validRange (local.get $ix) (local.get $stride) (local.get $w) (local.get $outW))
            (local.set $hiK) (local.set $loK)
            (local.set $oh (i32.const 0))
            (block $doneOH (loop $ohs
              (br_if $doneOH (i32.ge_s (local.get $oh) (local.get $outH)))
              (local.set $iy (i32.add (i32.sub (i32.mul (local.get $oh) (local.get $stride)) (local.get $padTop)) (local.get $kh)))
              (local.set $lo (local.get $loK)) (local.set $hi (local.get $hiK))
              (if (i32.ge_u (local.get $iy) (local.get $h))
                (then (local.set $lo (i32.const 0)) (local.set $hi (i32.const 0))))
              ;; [0, lo) and [hi, outW) read padding; [lo, hi) reads the image row
              (local.set $t (i32.const 0))
              (block $doneZ1 (loop $z1
                (br_if $doneZ1 (i32.ge_s (local.get $t) (local.get $lo)))
                (f32.store (i32.add (local.get $cols) (i32.shl (local.get $t) (i32.const 2))) (f32.const 0))
                (local.set $t (i32.add (local.get $t) (i32.const 1)))
                (br $z1)))
              (local.set $src (i32.add (local.get $plane)
                (i32.shl (i32.add (i32.mul (local.get $iy) (local.get $w))
                  (i32.add (local.get $ix) (i32.mul (local.get $lo) (local.get $stride)))) (i32.const 2))))
              (if (i32.eq (local.get $stride) (i32.const 1))
                (then
                  ;; inline copy (a call per image row would cost more than the row)
                  (local.set $t (i32.add (local.get $cols) (i32.shl (local.get $lo) (i32.const 2))))
                  (local.set $n (i32.sub (local.get $hi) (local.get $lo)))
                  (block $doneC4 (loop $c4
                    (br_if $doneC4 (i32.lt_s (local.get $n) (i32.const 4)))
                    (v128.store (local.get $t) (v128.load (local.get $src)))
                    (local.set $t (i32.add (local.get $t) (i32.const 16)))
                    (local.set $src (i32.add (local.get $src) (i32.const 16)))
                    (local.set $n (i32.sub (local.get $n) (i32.const 4)))
                    (br $c4)))
                  (block $doneC1 (loop $c1
                    (br_if $doneC1 (i32.le_s (local.get $n) (i32.const 0)))
                    (f32.store (local.get $t) (f32.load (local.get $src)))
                    (local.set $t (i32.add (local.get $t) (i32.const 4)))
                    (local.set $src (i32.add (local.get $src) (i32.const 4)))
                    (local.set $n (i32.sub (local.get $n) (i32.const 1)))
                    (br $c1))))
                (else
                  (local.set $ow (local.get $lo))
                  (block $doneOW (loop $ows
                    (br_if $doneOW (i32.ge_s (local.get $ow) (local.get $hi)))
                    (f32.store (i32.add (local.get $cols) (i32.shl (local.get $ow) (i32.const 2))) (f32.load (local.get $src)))
                    (local.set $src (i32.add (local.get $src) (i32.shl (local.get $stride) (i32.const 2))))
                    (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
                    (br $ows)))))
              (local.set $t (local.get $hi))
              (block $doneZ2 (loop $z2
                (br_if $doneZ2 (i32.ge_s (local.get $t) (local.get $outW)))
                (f32.store (i32.add (local.get $cols) (i32.shl (local.get $t) (i32.const 2))) (f32.const 0))
                (local.set $t (i32.add (local.get $t) (i32.const 1)))
                (br $z2)))
              (local.set $cols (i32.add (local.get $cols) (i32.shl (local.get $outW) (i32.const 2))))
              (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
              (br $ohs)))
            (local.set $kw (i32.add (local.get $kw) (i32.const 1)))
            (br $kws)))
          (local.set $kh (i32.add (local.get $kh) (i32.const 1)))
          (br $khs)))
        (local.set $ci (i32.add (local.get $ci) (i32.const 1)))
        (br $channels)))
      (local.set $image (i32.add (local.get $image) (local.get $imgSize)))
      (local.set $batch (i32.sub (local.get $batch) (i32.const 1)))
      (br $examples))))

  ;; The adjoint of im2col: image = Σ over the columns that read each pixel (image is overwritten).
  ;; This is the input gradient of a convolution given dcols = Wᵀ·δ.
  (func (export "col2im")
    (param $batch i32) (param $c i32) (param $h i32) (param $w i32) (param $k i32) (param $stride i32)
    (param $padTop i32) (param $padLeft i32) (param $outH i32) (param $outW i32)
    (param $cols i32) (param $image i32)
    (local $ci i32) (local $kh i32) (local $kw i32) (local $oh i32) (local $ow i32)
    (local $iy i32) (local $ix i32) (local $plane i32) (local $imgSize i32) (local $addr i32)
    (local $lo i32) (local $hi i32) (local $src i32)
    (local.set $imgSize (i32.shl (i32.mul (i32.mul (local.get $c) (local.get $h)) (local.get $w)) (i32.const 2)))
    (memory.fill (local.get $image) (i32.const 0) (i32.mul (local.get $imgSize) (local.get $batch)))
    (block $doneB (loop $examples
      (br_if $doneB (i32.le_s (local.get $batch) (i32.const 0)))
      (local.set $ci (i32.const 0))
      (block $doneC (loop $channels
        (br_if $doneC (i32.ge_s (local.get $ci) (local.get $c)))
        (local.set $plane (i32.add (local.get $image)
          (i32.shl (i32.mul (i32.mul (local.get $ci) (local.get $h)) (local.get $w)) (i32.const 2))))
        (local.set $kh (i32.const 0))
        (block $doneKH (loop $khs
          (br_if $doneKH (i32.ge_s (local.get $kh) (local.get $k)))
          (local.set $kw (i32.const 0))
          (block $doneKW (loop $kws
            (br_if $doneKW (i32.ge_s (local.get $kw) (local.get $k)))
            (local.set $ix (i32.sub (local.get $kw) (local.get $padLeft)))
            (call $validRange (local.get $ix) (local.get $stride) (local.get $w) (local.get $outW))
            (local.set $hi) (local.set $lo)
            (local.set $oh (i32.const 0))
            (block $doneOH (loop $ohs
              (br_if $doneOH (i32.ge_s (local.get $oh) (local.get $outH)))
              (local.set $iy (i32.add (i32.sub (i32.mul (local.get $oh) (local.get $stride)) (local.get $padTop)) (local.get $kh)))
              (if (i32.lt_u (local.get $iy) (local.get $h))
                (then
                  (local.set $addr (i32.add (local.get $plane)
                    (i32.shl (i32.add (i32.mul (local.get $iy) (local.get $w))
                      (i32.add (local.get $ix) (i32.mul (local.get $lo) (local.get $stride)))) (i32.const 2))))
                  (local.set $src (i32.add (local.get $cols) (i32.shl (local.get $lo) (i32.const 2))))
                  (local.set $ow (local.get $lo))
                  (if (i32.eq (local.get $stride) (i32.const 1))
                    (then
                      (block $done4 (loop $by4
                        (br_if $done4 (i32.gt_s (i32.add (local.get $ow) (i32.const 4)) (local.get $hi)))
                        (v128.store (local.get $addr) (f32x4.add (v128.load (local.get $addr)) (v128.load (local.get $src))))
                        (local.set $addr (i32.add (local.get $addr) (i32.const 16)))
                        (local.set $src (i32.add (local.get $src) (i32.const 16)))
                        (local.set $ow (i32.add (local.get $ow) (i32.const 4)))
                        (br $by4)))))
                  (block $doneOW (loop $ows
                    (br_if $doneOW (i32.ge_s (local.get $ow) (local.get $hi)))
                    (f32.store (local.get $addr) (f32.add (f32.load (local.get $addr)) (f32.load (local.get $src))))
                    (local.set $addr (i32.add (local.get $addr) (i32.shl (local.get $stride) (i32.const 2))))
                    (local.set $src (i32.add (local.get $src) (i32.const 4)))
                    (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
                    (br $ows)))))
              (local.set $cols (i32.add (local.get $cols) (i32.shl (local.get $outW) (i32.const 2))))
              (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
              (br $ohs)))
            (local.set $kw (i32.add (local.get $kw) (i32.const 1)))
            (br $kws)))
          (local.set $kh (i32.add (local.get $kh) (i32.const 1)))
          (br $khs)))
        (local.set $ci (i32.add (local.get $ci) (i32.const 1)))
        (br $channels)))
      (local.set $image (i32.add (local.get $image) (local.get $imgSize)))
      (local.set $batch (i32.sub (local.get $batch) (i32.const 1)))
      (br $examples))))
