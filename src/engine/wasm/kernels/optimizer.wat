;; Optimizer: the SGD step.
;; Part of the one kernels module that scripts/build-wasm.mjs assembles from src/engine/wasm/kernels/*.wat
;; (see module.wat for the conventions shared by every file).

  ;; One SGD step over n parameters (PyTorch convention, as src/engine/optimizers.ts):
  ;;   g = grad + wd·θ; if momentum: v ← μv + g, g = nesterov ? g + μv : v; θ ← θ − lr·g;
  ;;   update = θ_after − θ_before. vel is ignored (may be 0) when mu = 0.
  (func (export "sgd_step")
    (param $n i32) (param $lr f32) (param $wd f32) (param $mu f32) (param $nesterov i32)
    (param $value i32) (param $grad i32) (param $vel i32) (param $update i32)
    (local $before v128) (local $g v128) (local $v v128) (local $after v128)
    (local $b f32) (local $gs f32) (local $vs f32) (local $a f32)
    (block $done4 (loop $by4
      (br_if $done4 (i32.lt_s (local.get $n) (i32.const 4)))
      (local.set $before (v128.load (local.get $value)))
      (local.set $g (f32x4.add (v128.load (local.get $grad)) (f32x4.mul (f32x4.splat (local.get $wd)) (local.get $before))))
      (if (f32.ne (local.get $mu) (f32.const 0))
        (then
          (local.set $v (f32x4.add (f32x4.mul (f32x4.splat (local.get $mu)) (v128.load (local.get $vel))) (local.get $g)))
          (v128.store (local.get $vel) (local.get $v))
          (local.set $g (if (result v128) (local.get $nesterov)
            (then (f32x4.add (local.get $g) (f32x4.mul (f32x4.splat (local.get $mu)) (local.get $v))))
            (else (local.get $v))))
          (local.set $vel (i32.add (local.get $vel) (i32.const 16)))))
      (local.set $after (f32x4.sub (local.get $before) (f32x4.mul (f32x4.splat (local.get $lr)) (local.get $g))))
      (v128.store (local.get $value) (local.get $after))
      (v128.store (local.get $update) (f32x4.sub (local.get $after) (local.get $before)))
      (local.set $value (i32.add (local.get $value) (i32.const 16)))
      (local.set $grad (i32.add (local.get $grad) (i32.const 16)))
      (local.set $update (i32.add (local.get $update) (i32.const 16)))
      (local.set $n (i32.sub (local.get $n) (i32.const 4)))
      (br $by4)))
    (block $done1 (loop $by1
      (br_if $done1 (i32.le_s (local.get $n) (i32.const 0)))
      (local.set $b (f32.load (local.get $value)))
      (local.set $gs (f32.add (f32.load (local.get $grad)) (f32.mul (local.get $wd) (local.get $b))))
      (if (f32.ne (local.get $mu) (f32.const 0))
        (then
          (local.set $vs (f32.add (f32.mul (local.get $mu) (f32.load (local.get $vel))) (local.get $gs)))
          (f32.store (local.get $vel) (local.get $vs))
          (local.set $gs (select (f32.add (local.get $gs) (f32.mul (local.get $mu) (local.get $vs))) (local.get $vs) (local.get $nesterov)))
          (local.set $vel (i32.add (local.get $vel) (i32.const 4)))))
      (local.set $a (f32.sub (local.get $b) (f32.mul (local.get $lr) (local.get $gs))))
      (f32.store (local.get $value) (local.get $a))
      (f32.store (local.get $update) (f32.sub (local.get $a) (local.get $b)))
      (local.set $value (i32.add (local.get $value) (i32.const 4)))
      (local.set $grad (i32.add (local.get $grad) (i32.const 4)))
      (local.set $update (i32.add (local.get $update) (i32.const 4)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $by1))))
