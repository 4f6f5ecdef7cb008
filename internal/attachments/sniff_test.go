package attachments

import "testing"

func TestTheTypeComesFromTheContent(t *testing.T) {
	for _, c := range []struct {
		name, content, want string
	}{
		{"jpeg", "\xFF\xD8\xFF\xE0\x00\x10JFIF", "image/jpeg"},
		{"png", "\x89PNG\r\n\x1a\n\x00\x00", "image/png"},
		{"webp", "RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"},
		{"pdf", "%PDF-1.7\n", "application/pdf"},
		{"riff that is not webp", "RIFF\x24\x00\x00\x00WAVEfmt ", ""},
		{"html", "<html><script>", ""},
		{"svg", "<svg xmlns=", ""},
		{"gif", "GIF89a", ""},
		{"zip", "PK\x03\x04", ""},
		{"empty", "", ""},
	} {
		if got := Sniff([]byte(c.content)); got != c.want {
			t.Errorf("%s sniffed as %q, want %q", c.name, got, c.want)
		}
	}
}

func TestAStoredNameIsSafeAndTellsTheRealType(t *testing.T) {
	for _, c := range []struct{ in, mime, want string }{
		{"ảnh vết thương.jpg", "image/jpeg", "ảnh vết thương.jpg"},
		{"scan.JPEG", "image/jpeg", "scan.JPEG"},
		{`C:\Users\x\thư.pdf`, "application/pdf", "thư.pdf"},
		{"../../etc/passwd", "application/pdf", "passwd.pdf"},
		{"ảnh.exe", "image/png", "ảnh.exe.png"},
		{"a\"b\r\n.png", "image/png", "ab.png"},
		{"", "image/webp", "tep.webp"},
	} {
		if got := cleanName(c.in, c.mime); got != c.want {
			t.Errorf("cleanName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
