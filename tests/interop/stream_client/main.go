// berth-stream-client: a streaming client written the way kubelet's side speaks the
// protocols (SPDY through spdystream, the library kubectl and crictl use; WebSocket through
// gorilla/websocket), so berth's server is tested against implementations it did not write.
//
//	berth-stream-client -url URL [-transport spdy|websocket] [-protocols P1,P2]
//	                    [-stdin] [-stdout] [-stderr] [-tty] [-resize WxH] [-disconnect-after D]
//	                    [-until-output TEXT] [-ca FILE]
//	berth-stream-client -url URL -port-forward PORT [-more-ports P2,P3] [-repeat N] [-parallel] [-lone-data]
//	berth-stream-client -url URL -port-forward PORT -transport websocket [-until-bytes N]
//	berth-stream-client -direct HOST:PORT    (the same copy over plain TCP: a baseline)
//
// It copies its stdin/stdout/stderr to and from the session and exits with the command's
// exit code (read from the error channel). An https:// URL is dialled with TLS, trusting the
// certificates in -ca; with -until-output it leaves (exit 0) as soon as
// its stdout has received TEXT (an attach that need not wait for the container's end). With -port-forward it opens N forwarded
// connections to PORT one after the other on one session (at once with -parallel; then as many
// to each of -more-ports), sends each its stdin and prints what comes back; an error on a pair's error stream exits 1. -lone-data first opens a data
// stream whose error stream never follows and waits for the server to give it up. Over WebSocket (no half-close)
// it sends its stdin and reads until N bytes came back or the server closed. An HTTP answer other than 101 prints
// "http-status: N" and the body, and exits 200. A broken session exits 201.
package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/moby/spdystream"
)

type options struct {
	url, transport, protocols, resize string
	stdin, stdout, stderr, tty        bool
	disconnectAfter                   time.Duration
	loneData, parallel                bool
	morePorts                         string
	portForward, repeat, untilBytes   int
	direct, untilOutput, ca           string
}

func fail(code int, format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "berth-stream-client: "+format+"\n", args...)
	os.Exit(code)
}

// exitCode reads the error channel as v4 does (a metav1.Status) or, when it is not JSON, as
// the older protocols' plain text.
func exitCode(errData []byte) int {
	if len(errData) == 0 {
		return 0
	}
	var status struct {
		Status  string `json:"status"`
		Message string `json:"message"`
		Reason  string `json:"reason"`
		Details struct {
			Causes []struct {
				Reason  string `json:"reason"`
				Message string `json:"message"`
			} `json:"causes"`
		} `json:"details"`
	}
	if err := json.Unmarshal(errData, &status); err != nil {
		fmt.Fprintf(os.Stderr, "error: %s\n", errData)
		return 1
	}
	if status.Status == "Success" {
		return 0
	}
	fmt.Fprintf(os.Stderr, "error: %s\n", status.Message)
	for _, c := range status.Details.Causes {
		if c.Reason == "ExitCode" {
			if n, err := strconv.Atoi(c.Message); err == nil {
				return n
			}
		}
	}
	return 1
}

// stdoutWriter is os.Stdout, which with -until-output ends the program once the text came.
type stdoutWriter struct {
	until string
	seen  []byte
}

func (w *stdoutWriter) Write(p []byte) (int, error) {
	n, err := os.Stdout.Write(p)
	if w.until != "" {
		w.seen = append(w.seen, p...)
		if strings.Contains(string(w.seen), w.until) {
			fmt.Fprintf(os.Stderr, "berth-stream-client: received %q\n", w.until)
			os.Exit(0)
		}
	}
	return n, err
}

func resizeJSON(o options) []byte {
	if o.resize == "" {
		return nil
	}
	var w, h int
	if _, err := fmt.Sscanf(o.resize, "%dx%d", &w, &h); err != nil {
		fail(2, "bad -resize %q", o.resize)
	}
	b, _ := json.Marshal(map[string]int{"Width": w, "Height": h})
	return b
}

func main() {
	var o options
	flag.StringVar(&o.url, "url", "", "the URL Exec returned")
	flag.StringVar(&o.transport, "transport", "spdy", "spdy or websocket")
	flag.StringVar(&o.protocols, "protocols", "", "protocol versions to offer, comma-separated")
	flag.StringVar(&o.resize, "resize", "", "a terminal size WxH sent at the start")
	flag.BoolVar(&o.stdin, "stdin", false, "send stdin")
	flag.BoolVar(&o.stdout, "stdout", true, "receive stdout")
	flag.BoolVar(&o.stderr, "stderr", false, "receive stderr")
	flag.BoolVar(&o.tty, "tty", false, "the exec has a terminal")
	flag.DurationVar(&o.disconnectAfter, "disconnect-after", 0, "drop the connection after this long")
	flag.IntVar(&o.portForward, "port-forward", 0, "forward this port instead of an exec")
	flag.IntVar(&o.repeat, "repeat", 1, "port-forward: this many connections, one after the other")
	flag.BoolVar(&o.loneData, "lone-data", false, "port-forward: first a data stream without its error stream")
	flag.BoolVar(&o.parallel, "parallel", false, "port-forward: the -repeat connections to a port at once")
	flag.StringVar(&o.morePorts, "more-ports", "", "port-forward: then these ports (comma-separated), on the same session")
	flag.IntVar(&o.untilBytes, "until-bytes", -1, "websocket port-forward: stop after this many bytes came back")
	flag.StringVar(&o.direct, "direct", "", "copy stdin to HOST:PORT and back over plain TCP")
	flag.StringVar(&o.untilOutput, "until-output", "", "leave (exit 0) once stdout has received this text")
	flag.StringVar(&o.ca, "ca", "", "PEM certificates to trust for an https:// URL")
	flag.Parse()
	if o.disconnectAfter > 0 {
		go func() {
			time.Sleep(o.disconnectAfter)
			fmt.Fprintln(os.Stderr, "berth-stream-client: disconnecting")
			os.Exit(202)
		}()
	}
	if o.direct != "" {
		os.Exit(runDirect(o))
	}
	if o.portForward != 0 {
		os.Exit(runPortForward(o))
	}
	switch o.transport {
	case "spdy":
		os.Exit(runSPDY(o))
	case "websocket":
		os.Exit(runWebSocket(o))
	}
	fail(2, "unknown transport %q", o.transport)
}

// bufferedConn reads through the reader that parsed the HTTP response, which may hold the
// first SPDY bytes already.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// upgrade does the HTTP upgrade to SPDY/3.1: the connection and the protocol chosen, or
// (nil, "") after printing a refusal.
func upgrade(o options, protocols string) (*spdystream.Connection, string) {
	u, err := url.Parse(o.url)
	if err != nil {
		fail(2, "bad url: %v", err)
	}
	var conn net.Conn
	if u.Scheme == "https" {
		conn, err = tls.Dial("tcp", u.Host, tlsConfig(o))
	} else {
		conn, err = net.Dial("tcp", u.Host)
	}
	if err != nil {
		fail(201, "dial: %v", err)
	}
	if o.protocols != "" {
		protocols = o.protocols
	}
	var req strings.Builder
	fmt.Fprintf(&req, "POST %s HTTP/1.1\r\nHost: %s\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n", u.RequestURI(), u.Host)
	for _, p := range strings.Split(protocols, ",") {
		fmt.Fprintf(&req, "X-Stream-Protocol-Version: %s\r\n", p)
	}
	req.WriteString("Content-Length: 0\r\n\r\n")
	if _, err := io.WriteString(conn, req.String()); err != nil {
		fail(201, "write request: %v", err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		fail(201, "read response: %v", err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		body, _ := io.ReadAll(resp.Body)
		fmt.Printf("http-status: %d\n", resp.StatusCode)
		for _, v := range resp.Header.Values("X-Accepted-Stream-Protocol-Versions") {
			fmt.Printf("accepted: %s\n", v)
		}
		fmt.Printf("%s", body)
		return nil, ""
	}
	protocol := resp.Header.Get("X-Stream-Protocol-Version")
	fmt.Fprintf(os.Stderr, "protocol: %s\n", protocol)
	sc, err := spdystream.NewConnection(bufferedConn{conn, br}, false)
	if err != nil {
		fail(201, "spdy: %v", err)
	}
	go sc.Serve(spdystream.NoOpStreamHandler)
	return sc, protocol
}

// tlsConfig trusts what -ca holds, and nothing else.
func tlsConfig(o options) *tls.Config {
	pem, err := os.ReadFile(o.ca)
	if err != nil {
		fail(2, "an https URL needs -ca: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		fail(2, "no certificate in %s", o.ca)
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

func openStream(sc *spdystream.Connection, headers http.Header) *spdystream.Stream {
	s, err := sc.CreateStream(headers, nil, false)
	if err != nil {
		fail(201, "create %v stream: %v", headers, err)
	}
	if err := s.WaitTimeout(30 * time.Second); err != nil {
		fail(201, "%v stream not accepted: %v", headers, err)
	}
	return s
}

func runPortForward(o options) int {
	if o.transport == "websocket" {
		return runWebSocketPortForward(o)
	}
	sc, _ := upgrade(o, "portforward.k8s.io")
	if sc == nil {
		return 200
	}
	input, _ := io.ReadAll(os.Stdin)
	if o.loneData {
		lone := openStream(sc, http.Header{"Streamtype": {"data"}, "Port": {strconv.Itoa(o.portForward)}, "Requestid": {"lone"}})
		lone.Write([]byte("never forwarded"))
		n, err := io.Copy(io.Discard, lone)
		fmt.Fprintf(os.Stderr, "lone data stream ended after %d bytes: %v\n", n, err)
	}
	// One forwarded connection: what comes back goes to `w`; what its error stream said is returned.
	var idMu sync.Mutex
	requestID := 0
	forward := func(port int, w io.Writer) []byte {
		idMu.Lock()
		id := strconv.Itoa(requestID)
		requestID++
		idMu.Unlock()
		h := func(kind string) http.Header {
			return http.Header{"Streamtype": {kind}, "Port": {strconv.Itoa(port)}, "Requestid": {id}}
		}
		errStream := openStream(sc, h("error"))
		data := openStream(sc, h("data"))
		go func() {
			for at := 0; at < len(input); at += 32 << 10 { // 32 KiB writes, as kubectl's copy loop does
				data.Write(input[at:min(at+(32<<10), len(input))])
			}
			data.Close() // half-close: the pod's side reads EOF
		}()
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			io.Copy(w, data)
		}()
		msg, _ := io.ReadAll(errStream)
		wg.Wait()
		return msg
	}
	ports := []int{o.portForward}
	for _, p := range strings.Split(o.morePorts, ",") {
		if n, err := strconv.Atoi(p); err == nil {
			ports = append(ports, n)
		}
	}
	code := 0
	var mu sync.Mutex
	report := func(msg []byte) {
		mu.Lock()
		defer mu.Unlock()
		if len(msg) > 0 {
			fmt.Fprintf(os.Stderr, "port-forward error: %s\n", msg)
			code = 1
		}
	}
	for _, port := range ports {
		var wg sync.WaitGroup
		for i := 0; i < o.repeat; i++ {
			if !o.parallel {
				report(forward(port, os.Stdout))
				continue
			}
			wg.Add(1)
			go func() { // each connection's bytes kept apart, then printed whole
				defer wg.Done()
				var out bytes.Buffer
				msg := forward(port, &out)
				mu.Lock()
				os.Stdout.Write(out.Bytes())
				mu.Unlock()
				report(msg)
			}()
		}
		wg.Wait()
	}
	sc.Close()
	return code
}

func runSPDY(o options) int {
	sc, protocol := upgrade(o, "v4.channel.k8s.io,v3.channel.k8s.io,v2.channel.k8s.io,channel.k8s.io")
	if sc == nil {
		return 200
	}
	open := func(kind string) *spdystream.Stream { return openStream(sc, http.Header{"Streamtype": {kind}}) }
	errStream := open("error")
	var wg sync.WaitGroup
	var stdin *spdystream.Stream
	if o.stdin {
		stdin = open("stdin")
	}
	copyOut := func(kind string, w io.Writer) {
		s := open(kind)
		wg.Add(1)
		go func() {
			defer wg.Done()
			io.Copy(w, s)
		}()
	}
	if o.stdout {
		copyOut("stdout", &stdoutWriter{until: o.untilOutput})
	}
	if o.stderr && !o.tty {
		copyOut("stderr", os.Stderr)
	}
	if o.tty && protocol != "v2.channel.k8s.io" && protocol != "channel.k8s.io" {
		s := open("resize")
		if b := resizeJSON(o); b != nil {
			s.Write(b)
		}
	}
	if stdin != nil { // after the first size, so a command that reads a line sees it set
		go func() {
			io.Copy(stdin, os.Stdin)
			stdin.Close() // half-close: the process sees EOF
		}()
	}
	errData, _ := io.ReadAll(errStream)
	wg.Wait()
	sc.Close()
	return exitCode(errData)
}

// dialWebSocket connects to the URL with `query` and the subprotocols (-protocols, else
// `protocols`; "none" offers none): the connection and the protocol chosen, or nil after
// printing a refusal.
func dialWebSocket(o options, query string, protocols []string) (*websocket.Conn, string) {
	u, err := url.Parse(o.url)
	if err != nil {
		fail(2, "bad url: %v", err)
	}
	dialer := &websocket.Dialer{HandshakeTimeout: 30 * time.Second}
	if u.Scheme == "https" {
		u.Scheme = "wss"
		dialer.TLSClientConfig = tlsConfig(o)
	} else {
		u.Scheme = "ws"
	}
	u.RawQuery = query
	if o.protocols != "" {
		protocols = strings.Split(o.protocols, ",")
	}
	if o.protocols == "none" {
		protocols = nil
	}
	dialer.Subprotocols = protocols
	ws, resp, err := dialer.Dial(u.String(), nil)
	if err != nil {
		if resp != nil {
			body, _ := io.ReadAll(resp.Body)
			fmt.Printf("http-status: %d\n%s", resp.StatusCode, body)
			return nil, ""
		}
		fail(201, "websocket: %v", err)
	}
	fmt.Fprintf(os.Stderr, "protocol: %s\n", ws.Subprotocol())
	return ws, ws.Subprotocol()
}

func runWebSocket(o options) int {
	ws, protocol := dialWebSocket(o, "", []string{"v5.channel.k8s.io", "v4.channel.k8s.io", "channel.k8s.io"})
	if ws == nil {
		return 200
	}
	b64 := protocol == "base64.channel.k8s.io"
	var writeMu sync.Mutex
	send := func(channel byte, data []byte) {
		writeMu.Lock()
		defer writeMu.Unlock()
		if b64 {
			ws.WriteMessage(websocket.TextMessage, []byte(string('0'+channel)+base64.StdEncoding.EncodeToString(data)))
		} else {
			ws.WriteMessage(websocket.BinaryMessage, append([]byte{channel}, data...))
		}
	}
	if b := resizeJSON(o); b != nil && o.tty {
		send(4, b)
	}
	if o.stdin {
		go func() {
			buf := make([]byte, 32<<10)
			for {
				n, err := os.Stdin.Read(buf)
				if n > 0 {
					send(0, buf[:n])
				}
				if err != nil {
					break
				}
			}
			if protocol == "v5.channel.k8s.io" {
				writeMu.Lock()
				ws.WriteMessage(websocket.BinaryMessage, []byte{255, 0})
				writeMu.Unlock()
			}
		}()
	}
	var errData []byte
	stdout := &stdoutWriter{until: o.untilOutput}
	for {
		_, msg, err := ws.ReadMessage()
		if err != nil {
			break
		}
		if len(msg) == 0 {
			continue
		}
		channel, data := msg[0], msg[1:]
		if b64 {
			channel -= '0'
			data, err = base64.StdEncoding.DecodeString(string(data))
			if err != nil {
				fail(201, "bad base64 from the server: %v", err)
			}
		}
		switch channel {
		case 1:
			stdout.Write(data)
		case 2:
			os.Stderr.Write(data)
		case 3:
			errData = append(errData, data...)
		}
	}
	ws.Close()
	return exitCode(errData)
}

func runWebSocketPortForward(o options) int {
	ws, protocol := dialWebSocket(o, "port="+strconv.Itoa(o.portForward), []string{"v4.channel.k8s.io"})
	if ws == nil {
		return 200
	}
	b64 := protocol == "v4.base64.channel.k8s.io"
	decode := func(msg []byte) (byte, []byte) {
		if !b64 {
			return msg[0], msg[1:]
		}
		data, err := base64.StdEncoding.DecodeString(string(msg[1:]))
		if err != nil {
			fail(201, "bad base64 from the server: %v", err)
		}
		return msg[0] - '0', data
	}
	input, _ := io.ReadAll(os.Stdin)
	var got, errText []byte
	prefixes := 0
	sent := false
	for o.untilBytes < 0 || len(got) < o.untilBytes {
		if prefixes == 2 && !sent {
			go func() { // in 32 KiB messages, as kubectl's copy loop writes them
				for at := 0; at < len(input); at += 32 << 10 {
					chunk := input[at:min(at+(32<<10), len(input))]
					if b64 {
						ws.WriteMessage(websocket.TextMessage, []byte("0"+base64.StdEncoding.EncodeToString(chunk)))
					} else {
						ws.WriteMessage(websocket.BinaryMessage, append([]byte{0}, chunk...))
					}
				}
			}()
			sent = true
		}
		_, msg, err := ws.ReadMessage()
		if err != nil {
			break
		}
		if len(msg) == 0 {
			continue
		}
		channel, data := decode(msg)
		if prefixes < 2 { // each channel starts with its port, little-endian
			if len(data) != 2 || int(data[0])|int(data[1])<<8 != o.portForward {
				fail(201, "channel %d did not start with port %d: %v", channel, o.portForward, data)
			}
			prefixes++
			continue
		}
		switch channel {
		case 0:
			got = append(got, data...)
		case 1:
			errText = append(errText, data...)
		}
	}
	ws.Close()
	os.Stdout.Write(got)
	if len(errText) > 0 {
		fmt.Fprintf(os.Stderr, "port-forward error: %s\n", errText)
		return 1
	}
	return 0
}

func runDirect(o options) int {
	conn, err := net.Dial("tcp", o.direct)
	if err != nil {
		fail(201, "dial: %v", err)
	}
	go func() {
		io.Copy(conn, os.Stdin)
		conn.(*net.TCPConn).CloseWrite()
	}()
	io.Copy(os.Stdout, conn)
	return 0
}

func min(a, b int) int {
	if a < b {
		return a
	}
	return b
}
