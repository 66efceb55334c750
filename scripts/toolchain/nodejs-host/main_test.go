package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
)

// fakeRunPluginServer collects what RunPlugin sends (the engine's side of the stream).
type fakeRunPluginServer struct {
	grpc.ServerStream
	ctx  context.Context
	mu   sync.Mutex
	msgs []*pulumirpc.RunPluginResponse
}

func (s *fakeRunPluginServer) Context() context.Context { return s.ctx }

func (s *fakeRunPluginServer) Send(m *pulumirpc.RunPluginResponse) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	return nil
}

// TestRunPluginStreamsOutputAndExitCode runs a plugin (kind resource) through a stand-in for
// @pulumi/pulumi/cmd/run-plugin: its stdout and stderr come back as messages, in order per
// stream, and the stream ends with the exit code.
func TestRunPluginStreamsOutputAndExitCode(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not on PATH")
	}
	tmp := t.TempDir()
	runner := filepath.Join(tmp, "run-plugin.js")
	script := `const [dir, ...args] = process.argv.slice(2);
for (let i = 0; i < 200; i++) { process.stdout.write("out " + i + "\n"); process.stderr.write("err " + i + "\n"); }
console.log("dir=" + dir + " args=" + args.join(",") + " cwd=" + process.cwd() + " ts=" + process.env.PULUMI_NODEJS_TYPESCRIPT);
process.exit(Number(args[1]));`
	if err := os.WriteFile(runner, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PULUMI_LANGUAGE_NODEJS_RUN_PATH", runner)
	pluginDir := filepath.Join(tmp, "plugin")
	if err := os.Mkdir(pluginDir, 0o700); err != nil {
		t.Fatal(err)
	}

	for _, code := range []int32{0, 3} {
		srv := &fakeRunPluginServer{ctx: context.Background()}
		h := &nodeHost{defaults: runOptions{typescript: true}}
		err := h.RunPlugin(&pulumirpc.RunPluginRequest{
			Pwd:  tmp,
			Args: []string{"127.0.0.1:1234", strconv.Itoa(int(code))},
			Env:  os.Environ(),
			Info: &pulumirpc.ProgramInfo{ProgramDirectory: pluginDir, RootDirectory: pluginDir, EntryPoint: "."},
			Kind: "resource",
		}, srv)
		if err != nil {
			t.Fatalf("RunPlugin: %v", err)
		}
		var stdout, stderr strings.Builder
		for i, m := range srv.msgs {
			switch o := m.Output.(type) {
			case *pulumirpc.RunPluginResponse_Stdout:
				stdout.Write(o.Stdout)
			case *pulumirpc.RunPluginResponse_Stderr:
				stderr.Write(o.Stderr)
			case *pulumirpc.RunPluginResponse_Exitcode:
				if i != len(srv.msgs)-1 {
					t.Fatalf("exit code before the end of the stream (message %d of %d)", i+1, len(srv.msgs))
				}
				if o.Exitcode != code {
					t.Fatalf("exit code %d, want %d", o.Exitcode, code)
				}
			}
		}
		if _, ok := srv.msgs[len(srv.msgs)-1].Output.(*pulumirpc.RunPluginResponse_Exitcode); !ok {
			t.Fatal("the stream does not end with the exit code")
		}
		if !strings.HasPrefix(stdout.String(), "out 0\nout 1\n") || !strings.Contains(stdout.String(), "out 199\n") {
			t.Fatalf("stdout out of order or incomplete: %.200q", stdout.String())
		}
		if !strings.HasPrefix(stderr.String(), "err 0\nerr 1\n") || !strings.HasSuffix(stderr.String(), "err 199\n") {
			t.Fatalf("stderr out of order or incomplete: %.200q", stderr.String())
		}
		want := fmt.Sprintf("dir=%s args=127.0.0.1:1234,%d cwd=%s ts=true\n", pluginDir, code, tmp)
		if !strings.HasSuffix(stdout.String(), want) {
			t.Fatalf("stdout ends %q, want %q", stdout.String()[max(0, stdout.Len()-200):], want)
		}
	}
}
