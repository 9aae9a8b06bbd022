import source from '../../shaders/float_bits.wgsl';

/** shaders/float_bits.wgsl: NaN and ±∞ made and recognised by their bits, for kernels to include. */
export const floatBits = source;
