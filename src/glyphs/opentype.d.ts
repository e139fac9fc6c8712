// The part of opentype.js (which ships no types) that src/glyphs uses, and its tests use to write
// small fonts. Paths are in font units with y pointing up, as the glyf and CFF tables store them.
declare module 'opentype.js' {
  export type PathCommand =
    | { type: 'M' | 'L'; x: number; y: number }
    | { type: 'Q'; x1: number; y1: number; x: number; y: number }
    | { type: 'C'; x1: number; y1: number; x2: number; y2: number; x: number; y: number }
    | { type: 'Z' };

  export class Path {
    commands: PathCommand[];
    moveTo(x: number, y: number): void;
    lineTo(x: number, y: number): void;
    quadraticCurveTo(x1: number, y1: number, x: number, y: number): void;
    close(): void;
  }

  export class Glyph {
    constructor(options: { name: string; unicode?: number; advanceWidth: number; path: Path });
    /** 0 is .notdef, what a code point missing from the cmap maps to. */
    index: number;
    name: string | null;
    path: Path;
  }

  export type NameId = 'fontFamily' | 'fontSubfamily' | 'preferredFamily' | 'preferredSubfamily';

  export class Font {
    constructor(options: {
      familyName: string;
      styleName: string;
      unitsPerEm: number;
      ascender: number;
      descender: number;
      glyphs: Glyph[];
    });
    unitsPerEm: number;
    outlinesFormat: 'truetype' | 'cff' | string;
    /** The name table by platform ('windows', 'macintosh', 'unicode'), name and language. */
    names: Record<string, Partial<Record<NameId, Record<string, string>>> | undefined>;
    charToGlyph(char: string): Glyph;
    getEnglishName(name: NameId): string | undefined;
    /** The font as an OpenType file with CFF outlines. */
    toArrayBuffer(): ArrayBuffer;
  }

  interface OpenType {
    Font: typeof Font;
    Glyph: typeof Glyph;
    Path: typeof Path;
    parse(buffer: ArrayBuffer, options?: { lowMemory?: boolean }): Font;
  }

  const opentype: OpenType;
  export default opentype;
}
