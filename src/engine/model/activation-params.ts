import type { ActivationFunction } from '../../core';

/**
 * The initial values of each parametric activation's learned scalars, by PyTorch parameter name.
 * Kept apart from the tfjs activations so that back ends without tfjs (ONNX Runtime, the host
 * initialiser) can name and fill these parameters without loading it.
 */
export function activationInitialParams(fn: ActivationFunction): Readonly<Record<string, number>> {
  switch (fn) {
    // PyTorch's nn.PReLU starts its slope at 0.25.
    case 'prelu':
      return { weight: 0.25 };
    // PSiLU and PSSiLU (Dai et al., 2022, "Parameterizing Activation Functions for Adversarial
    // Robustness"), as the RobArch code initialises them.
    case 'psilu':
      return { alpha: 1 };
    case 'pssilu':
      return { alpha: 1, beta: 1e-4 };
    default:
      return {};
  }
}
