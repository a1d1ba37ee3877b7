// The error every codec parser and builder throws for a malformed or unsupported bitstream structure.

import { MediaError } from '../core/errors.js';

/** Error codes thrown by the codec modules. */
export type CodecErrorCode = 'CODEC_INVALID' | 'CODEC_UNSUPPORTED';

/** A malformed or unsupported bitstream structure. Thrown by the codec parsers and builders. */
export class CodecError extends MediaError {
  declare readonly code: CodecErrorCode;
  constructor(code: CodecErrorCode, message: string) {
    super(code, message);
    this.name = 'CodecError';
  }
}
