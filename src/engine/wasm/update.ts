// The WASM backend's optimizer update: the SGD step of kernels/optimizer.wat, and its variant that
// also returns the sums the statistics need (‖G‖², ‖θ‖², ‖Δθ‖²) from the same pass over the
// parameters. Contract: see Backend.sgdStep.

import type { Backend } from '../backend';
import { checkLength } from './arena';
import { checkAll, type WasmContext } from './elementwise';
import type { GemmTeam } from './team';

/** team: splits large SGD steps (without norms: their float64 sums would add in another order) over two threads, or null. */
export function updateKernels({ arena, k }: WasmContext, team: GemmTeam | null = null): Pick<Backend, 'sgdStep'> {
  const sgd = team ? team.sgdStep : k.sgd_step;
  let f64: Float64Array | null = null;
  return {
    sgdStep(n, lr, weightDecay, momentum, nesterov, grad, value, velocity, update, norms) {
      checkAll('sgdStep', ['value', value, n], ['grad', grad, n], ['update', update, n]);
      if (momentum !== 0) {
        if (!velocity) throw new Error('sgdStep: momentum needs a velocity buffer');
        checkLength('sgdStep velocity', velocity, n);
      }
      if (norms) {
        if (norms.length < 3) throw new Error(`sgdStep: norms needs 3 elements, the array has ${norms.length}`);
        norms.fill(0, 0, 3);
      }
      if (n === 0) return true;
      let finite: boolean;
      arena.begin();
      const pv = arena.need(arena.inout(value, n));
      const pg = arena.in(grad, n);
      const pm = momentum !== 0 ? arena.need(arena.inout(velocity!, n)) : null;
      const pu = arena.need(arena.output(update, n));
      const nest = nesterov ? 1 : 0;
      if (norms) {
        // 3 f64 (16-byte aligned scratch), read back through a view of the current buffer
        const pn = arena.reserve(6);
        if (pn === null) throw new Error('WASM backend: no scratch space left for the update norms');
        k.sgd_step_norms(n, lr, weightDecay, momentum, nest, pv.ptr, pg, pm ? pm.ptr : 0, pu.ptr, pn);
        if (f64?.buffer !== arena.buffer) f64 = new Float64Array(arena.buffer);
        norms.set(f64.subarray(pn / 8, pn / 8 + 3));
        // a non-finite θ_after makes its update, so Σ update², non-finite (an overflowing sum of
        // finite updates only costs the caller a check)
        finite = Number.isFinite(norms[2]);
      } else {
        finite = sgd(n, lr, weightDecay, momentum, nest, pv.ptr, pg, pm ? pm.ptr : 0, pu.ptr) === 1;
      }
      arena.finish(pv);
      if (pm) arena.finish(pm);
      arena.finish(pu);
      return finite;
    },
  };
}
