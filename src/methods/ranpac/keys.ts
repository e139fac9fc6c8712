// The config keys RanPAC reads, with the official names (RanPAC's args/*_publish.csv): `use_RP`, the
// ridge head on random-projected features (false is the official NCM prototype head, SimpleCIL's:
// refused here), and `M`, the projection's width (0: the ridge head on the features themselves).
// W_rand is drawn from the shared `seed`.
import type { KeyTable } from '../../config/keys.ts';

export const RANPAC_KEYS: KeyTable = { reads: ['M', 'use_RP'] };
