package sie

// CodePage437 is code page 437 from 0x80 on: the PC8 character set SIE 4
// files are written in (#FORMAT PC8).
const CodePage437 = "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0"

// pc8 maps each character of CodePage437 to its byte.
var pc8 = func() map[rune]byte {
	m := make(map[rune]byte, 128)
	for i, r := range []rune(CodePage437) {
		m[r] = byte(0x80 + i)
	}
	return m
}()

// encodePC8 encodes s in code page 437; a character it lacks becomes ?.
func encodePC8(s string) []byte {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		switch c, ok := pc8[r]; {
		case r < 0x80:
			b = append(b, byte(r))
		case ok:
			b = append(b, c)
		default:
			b = append(b, '?')
		}
	}
	return b
}
