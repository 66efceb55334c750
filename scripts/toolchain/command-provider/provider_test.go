package main

import (
	"context"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/structpb"
)

func props(t *testing.T, m resource.PropertyMap) *structpb.Struct {
	t.Helper()
	s, err := marshal(m, "test")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func remoteArgs(create string, triggers ...any) resource.PropertyMap {
	m := resource.NewPropertyMapFromMap(map[string]any{
		"create": create,
		"connection": map[string]any{
			"host": "10.0.0.1", "port": 22, "user": "root", "privateKey": "KEY",
			"dialErrorLimit": 10, "perDialTimeout": 15,
		},
	})
	m["connection"] = resource.MakeSecret(m["connection"])
	if triggers != nil {
		m["triggers"] = resource.NewPropertyValue(triggers)
	}
	return m
}

func diff(t *testing.T, olds, news resource.PropertyMap) *pulumirpc.DiffResponse {
	t.Helper()
	p := newProvider(context.Background())
	resp, err := p.Diff(context.Background(), &pulumirpc.DiffRequest{
		Type: remoteCommandType, OldInputs: props(t, olds), News: props(t, news),
	})
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestDiff(t *testing.T) {
	base := remoteArgs("echo a", "t1")

	if r := diff(t, base, remoteArgs("echo a", "t1")); r.Changes != pulumirpc.DiffResponse_DIFF_NONE {
		t.Errorf("no change: got %v %v", r.Changes, r.Diffs)
	}
	r := diff(t, base, remoteArgs("echo b", "t1"))
	if r.Changes != pulumirpc.DiffResponse_DIFF_SOME || len(r.Replaces) != 0 || strings.Join(r.Diffs, ",") != "create" {
		t.Errorf("create changed: want in-place update of create, got %v replaces=%v diffs=%v", r.Changes, r.Replaces, r.Diffs)
	}
	r = diff(t, base, remoteArgs("echo a", "t2"))
	if strings.Join(r.Replaces, ",") != "triggers" || r.DetailedDiff["triggers"].Kind != pulumirpc.PropertyDiff_UPDATE_REPLACE {
		t.Errorf("triggers changed: want replace, got replaces=%v detailed=%v", r.Replaces, r.DetailedDiff)
	}
	// A secret marker alone is not a change; a different connection is an update.
	plainConn := remoteArgs("echo a", "t1")
	plainConn["connection"] = plainConn["connection"].SecretValue().Element
	if r := diff(t, base, plainConn); r.Changes != pulumirpc.DiffResponse_DIFF_NONE {
		t.Errorf("secretness only: got %v", r.Diffs)
	}
	other := remoteArgs("echo a", "t1")
	other["connection"].SecretValue().Element.ObjectValue()["host"] = resource.NewProperty("10.0.0.2")
	if r := diff(t, base, other); strings.Join(r.Diffs, ",") != "connection" || len(r.Replaces) != 0 {
		t.Errorf("connection changed: want update, got diffs=%v replaces=%v", r.Diffs, r.Replaces)
	}
	// Unknown values (preview) are changes.
	unknown := remoteArgs("echo a")
	unknown["triggers"] = resource.NewProperty([]resource.PropertyValue{unknownString()})
	if r := diff(t, base, unknown); strings.Join(r.Replaces, ",") != "triggers" {
		t.Errorf("unknown trigger: want replace, got %v", r.Replaces)
	}
	// Adding stdin is an update.
	withStdin := remoteArgs("echo a", "t1")
	withStdin["stdin"] = resource.NewProperty("hello")
	if r := diff(t, base, withStdin); strings.Join(r.Diffs, ",") != "stdin" || r.DetailedDiff["stdin"].Kind != pulumirpc.PropertyDiff_ADD {
		t.Errorf("stdin added: got %v", r.DetailedDiff)
	}
}

func TestCheck(t *testing.T) {
	p := newProvider(context.Background())
	check := func(m resource.PropertyMap) []string {
		resp, err := p.Check(context.Background(), &pulumirpc.CheckRequest{Type: remoteCommandType, News: props(t, m)})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, f := range resp.Failures {
			out = append(out, f.Property+": "+f.Reason)
		}
		return out
	}
	if f := check(remoteArgs("true")); f != nil {
		t.Errorf("valid inputs failed: %v", f)
	}
	bad := remoteArgs("true")
	bad["logging"] = resource.NewProperty("loud")
	bad["bogus"] = resource.NewProperty(true)
	bad["connection"].SecretValue().Element.ObjectValue()["port"] = resource.NewProperty(0.0)
	f := strings.Join(check(bad), "\n")
	for _, want := range []string{"logging: must be one of", "bogus: unknown property", "connection.port: must be between"} {
		if !strings.Contains(f, want) {
			t.Errorf("want failure %q in:\n%s", want, f)
		}
	}
	noHost := resource.PropertyMap{"connection": resource.MakeSecret(resource.NewProperty(resource.PropertyMap{}))}
	if f := strings.Join(check(noHost), "\n"); !strings.Contains(f, "connection.host: is required") {
		t.Errorf("missing host: got %s", f)
	}
	// Unknown values pass Check (preview).
	unknown := remoteArgs("true")
	unknown["connection"] = unknownString()
	if f := check(unknown); f != nil {
		t.Errorf("unknown connection failed: %v", f)
	}
}

func TestCreatePreviewAndSecretConnection(t *testing.T) {
	p := newProvider(context.Background())
	in := remoteArgs("echo hi")
	in["connection"] = in["connection"].SecretValue().Element // even if sent in plain text
	resp, err := p.Create(context.Background(), &pulumirpc.CreateRequest{
		Type: remoteCommandType, Urn: "urn:pulumi:s::p::command:remote:Command::c", Properties: props(t, in), Preview: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := unmarshal(resp.Properties, "out")
	if err != nil {
		t.Fatal(err)
	}
	if !out["connection"].IsSecret() {
		t.Errorf("connection is not secret in the outputs: %v", out["connection"])
	}
	if !out["stdout"].IsComputed() || !out["stderr"].IsComputed() {
		t.Errorf("preview: stdout/stderr should be unknown, got %v %v", out["stdout"], out["stderr"])
	}
}

func TestLocalCommandLifecycle(t *testing.T) {
	p := newProvider(context.Background())
	dir := t.TempDir()
	in := resource.NewPropertyMapFromMap(map[string]any{
		"create":      "cat; echo err >&2; echo \"$GREETING\"",
		"update":      "echo \"was: $PULUMI_COMMAND_STDOUT\" | head -n 1",
		"delete":      "echo deleted > gone",
		"dir":         dir,
		"stdin":       "from stdin\n",
		"environment": map[string]any{"GREETING": "hello"},
	})
	c, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Type: localCommandType, Name: "c", Properties: props(t, in)})
	if err != nil {
		t.Fatal(err)
	}
	state, _ := unmarshal(c.Properties, "state")
	if got := state["stdout"].StringValue(); got != "from stdin\nhello" {
		t.Errorf("stdout = %q", got)
	}
	if got := state["stderr"].StringValue(); got != "err" {
		t.Errorf("stderr = %q", got)
	}
	u, err := p.Update(context.Background(), &pulumirpc.UpdateRequest{Type: localCommandType, Olds: c.Properties, News: props(t, in)})
	if err != nil {
		t.Fatal(err)
	}
	state, _ = unmarshal(u.Properties, "state")
	if got := state["stdout"].StringValue(); got != "was: from stdin" {
		t.Errorf("update stdout = %q", got)
	}
	if _, err := p.Delete(context.Background(), &pulumirpc.DeleteRequest{Type: localCommandType, Properties: u.Properties}); err != nil {
		t.Fatal(err)
	}

	fail := resource.NewPropertyMapFromMap(map[string]any{"create": "echo partial; echo boom >&2; exit 3"})
	_, err = p.Create(context.Background(), &pulumirpc.CreateRequest{Type: localCommandType, Properties: props(t, fail)})
	if err == nil || !strings.Contains(err.Error(), "exit status 3") || !strings.Contains(err.Error(), "boom") ||
		!strings.Contains(err.Error(), "partial") {
		t.Errorf("failing create: got %v", err)
	}
}

func TestHostKeyConfig(t *testing.T) {
	_, _, err := clientConfig(&connection{User: "root", Password: "x", HostKey: "not a key"}, "h:22")
	if err == nil || !strings.Contains(err.Error(), "connection.hostKey") {
		t.Errorf("bad hostKey: got %v", err)
	}
	t.Setenv("SSH_AUTH_SOCK", "")
	_, _, err = clientConfig(&connection{User: "root"}, "h:22")
	if err == nil || !strings.Contains(err.Error(), "no SSH authentication method") {
		t.Errorf("no auth: got %v", err)
	}
}

func TestLineWriter(t *testing.T) {
	var lines []string
	w := &lineWriter{emit: func(l string) { lines = append(lines, l) }}
	_, _ = w.Write([]byte("a\r\nb"))
	_, _ = w.Write([]byte("c\nd"))
	if got := w.finish(); got != "a\r\nbc\nd" {
		t.Errorf("all = %q", got)
	}
	if strings.Join(lines, "|") != "a|bc|d" {
		t.Errorf("lines = %q", lines)
	}
}
