package main

// The ResourceProvider gRPC server: lifecycle (check, diff, create, update, delete, read) of
// command:remote:Command and command:local:Command.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

type provider struct {
	pulumirpc.UnimplementedResourceProviderServer

	// ctx is cancelled by the engine's Cancel call; every running command stops with it.
	ctx    context.Context
	cancel context.CancelFunc

	mu         sync.Mutex
	engineAddr string
	engine     pulumirpc.EngineClient
}

func newProvider(ctx context.Context) *provider {
	ctx, cancel := context.WithCancel(ctx)
	return &provider{ctx: ctx, cancel: cancel}
}

func (p *provider) setEngine(addr string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if addr != "" && addr != p.engineAddr {
		p.engineAddr, p.engine = addr, nil
	}
}

// log sends a message about urn to the engine (best effort: a failure to log is not an error).
func (p *provider) log(urn string, sev pulumirpc.LogSeverity, ephemeral bool, msg string) {
	p.mu.Lock()
	if p.engine == nil && p.engineAddr != "" {
		conn, err := grpc.NewClient(p.engineAddr,
			grpc.WithTransportCredentials(insecure.NewCredentials()), rpcutil.GrpcChannelOptions())
		if err == nil {
			p.engine = pulumirpc.NewEngineClient(conn)
		}
	}
	engine := p.engine
	p.mu.Unlock()
	if engine == nil {
		return
	}
	_, _ = engine.Log(context.Background(), &pulumirpc.LogRequest{
		Severity: sev, Message: msg, Urn: urn, Ephemeral: ephemeral,
	})
}

// opContext is ctx, also cancelled when the engine calls Cancel.
func (p *provider) opContext(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(p.ctx, cancel)
	return ctx, func() { stop(); cancel() }
}

// --- plugin identity and configuration ------------------------------------------------------------

func (p *provider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (p *provider) Handshake(_ context.Context, req *pulumirpc.ProviderHandshakeRequest) (*pulumirpc.ProviderHandshakeResponse, error) {
	p.setEngine(req.GetEngineAddress())
	return &pulumirpc.ProviderHandshakeResponse{AcceptSecrets: true}, nil
}

func (p *provider) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	// No full schema: this provider is not meant for SDK generation. Name and version only.
	return &pulumirpc.GetSchemaResponse{Schema: fmt.Sprintf(`{"name":"command","version":%q}`, version)}, nil
}

func (p *provider) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (p *provider) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

func (p *provider) Configure(context.Context, *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	// SupportsPreview: the engine calls Create/Update with preview=true, and we answer with
	// stdout/stderr unknown, so that programs see them as unknown (not missing) in previews.
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true}, nil
}

func (p *provider) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	p.cancel()
	return &emptypb.Empty{}, nil
}

func (p *provider) Invoke(_ context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	return nil, fmt.Errorf("function %s is not implemented by labfabric's command provider "+
		"(it implements the resources %s and %s only)", req.GetTok(), remoteCommandType, localCommandType)
}

// --- properties ----------------------------------------------------------------------------------

func unmarshal(s *structpb.Struct, label string) (resource.PropertyMap, error) {
	m, err := plugin.UnmarshalProperties(s, plugin.MarshalOptions{
		Label: label, KeepUnknowns: true, KeepSecrets: true, SkipNulls: true,
	})
	if err != nil {
		return nil, err
	}
	if m == nil {
		m = resource.PropertyMap{}
	}
	return m, nil
}

func marshal(m resource.PropertyMap, label string) (*structpb.Struct, error) {
	return plugin.MarshalProperties(m, plugin.MarshalOptions{Label: label, KeepUnknowns: true, KeepSecrets: true})
}

// outputs is the resource's state: its inputs plus stdout and stderr. The connection stays secret.
func outputs(inputs resource.PropertyMap, stdout, stderr resource.PropertyValue) resource.PropertyMap {
	out := resource.PropertyMap{}
	for k, v := range inputs {
		if !outputOnly[string(k)] && !strings.HasPrefix(string(k), "__") {
			out[k] = v
		}
	}
	if c, ok := out["connection"]; ok && !c.IsSecret() && !c.IsNull() {
		out["connection"] = resource.MakeSecret(c)
	}
	out["stdout"], out["stderr"] = stdout, stderr
	return out
}

func unknownString() resource.PropertyValue { return resource.MakeComputed(resource.NewProperty("")) }

// inputsOf returns the input properties of a state bag (for when the engine sends no old inputs).
func inputsOf(typ string, state resource.PropertyMap) resource.PropertyMap {
	in := resource.PropertyMap{}
	for _, k := range inputKeys(typ) {
		if v, ok := state[resource.PropertyKey(k)]; ok {
			in[resource.PropertyKey(k)] = v
		}
	}
	return in
}

// stripSecrets removes secret markers everywhere in v, for comparing values.
func stripSecrets(v resource.PropertyValue) resource.PropertyValue {
	v = plain(v)
	switch {
	case v.IsArray():
		arr := make([]resource.PropertyValue, len(v.ArrayValue()))
		for i, e := range v.ArrayValue() {
			arr[i] = stripSecrets(e)
		}
		return resource.NewProperty(arr)
	case v.IsObject():
		obj := resource.PropertyMap{}
		for k, e := range v.ObjectValue() {
			obj[k] = stripSecrets(e)
		}
		return resource.NewProperty(obj)
	}
	return v
}

func sameValue(a, b resource.PropertyValue) bool {
	if a.ContainsUnknowns() || b.ContainsUnknowns() {
		return false
	}
	return stripSecrets(a).DeepEquals(stripSecrets(b))
}

// previousOutput is the PULUMI_COMMAND_STDOUT/STDERR environment from a resource's state.
func previousOutput(a *commandArgs, state resource.PropertyMap) map[string]string {
	if !a.AddPreviousOutputInEnv {
		return nil
	}
	env := map[string]string{}
	for key, name := range map[string]string{"stdout": "PULUMI_COMMAND_STDOUT", "stderr": "PULUMI_COMMAND_STDERR"} {
		if v, ok := get(state, key); ok && v.IsString() {
			env[name] = v.StringValue()
		}
	}
	return env
}

func checkError(failures []checkFailure) error {
	d := decoder{failures: failures}
	return d.err()
}

// --- resource lifecycle ----------------------------------------------------------------------------

func (p *provider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	news, err := unmarshal(req.GetNews(), "check.news")
	if err != nil {
		return nil, err
	}
	_, failures := decodeArgs(req.GetType(), news, true)
	resp := &pulumirpc.CheckResponse{Inputs: req.GetNews()}
	for _, f := range failures {
		resp.Failures = append(resp.Failures, &pulumirpc.CheckFailure{Property: f.property, Reason: f.reason})
	}
	return resp, nil
}

func (p *provider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, err := unmarshal(req.GetOldInputs(), "diff.oldInputs")
	if err != nil {
		return nil, err
	}
	if req.GetOldInputs() == nil {
		state, err := unmarshal(req.GetOlds(), "diff.olds")
		if err != nil {
			return nil, err
		}
		olds = inputsOf(req.GetType(), state)
	}
	news, err := unmarshal(req.GetNews(), "diff.news")
	if err != nil {
		return nil, err
	}
	ignored := map[string]bool{}
	for _, path := range req.GetIgnoreChanges() {
		ignored[path] = true
	}

	resp := &pulumirpc.DiffResponse{
		Changes:         pulumirpc.DiffResponse_DIFF_NONE,
		DetailedDiff:    map[string]*pulumirpc.PropertyDiff{},
		HasDetailedDiff: true,
	}
	for _, key := range inputKeys(req.GetType()) {
		k := resource.PropertyKey(key)
		o, hasOld := olds[k]
		n, hasNew := news[k]
		hasOld, hasNew = hasOld && !o.IsNull(), hasNew && !n.IsNull()
		if ignored[key] || (!hasOld && !hasNew) || (hasOld && hasNew && sameValue(o, n)) {
			continue
		}
		// triggers replace the resource; any other input re-runs the command in place.
		replace := key == "triggers"
		kind := pulumirpc.PropertyDiff_UPDATE
		switch {
		case !hasOld && replace:
			kind = pulumirpc.PropertyDiff_ADD_REPLACE
		case !hasOld:
			kind = pulumirpc.PropertyDiff_ADD
		case !hasNew && replace:
			kind = pulumirpc.PropertyDiff_DELETE_REPLACE
		case !hasNew:
			kind = pulumirpc.PropertyDiff_DELETE
		case replace:
			kind = pulumirpc.PropertyDiff_UPDATE_REPLACE
		}
		resp.Changes = pulumirpc.DiffResponse_DIFF_SOME
		resp.Diffs = append(resp.Diffs, key)
		resp.DetailedDiff[key] = &pulumirpc.PropertyDiff{Kind: kind, InputDiff: true}
		if replace {
			resp.Replaces = append(resp.Replaces, key)
		}
	}
	return resp, nil
}

// execute runs cmd for the resource urn with the given arguments.
func (p *provider) execute(ctx context.Context, urn, typ string, a *commandArgs, cmd string, prev map[string]string) (runResult, error) {
	ctx, cancel := p.opContext(ctx)
	defer cancel()
	req := runRequest{
		Command:     cmd,
		Stdin:       a.Stdin,
		Environment: a.Environment,
		Previous:    prev,
		Logging:     a.Logging,
		Logf: func(format string, args ...any) {
			p.log(urn, pulumirpc.LogSeverity_INFO, true, fmt.Sprintf(format, args...))
		},
		Warnf: func(format string, args ...any) {
			p.log(urn, pulumirpc.LogSeverity_WARNING, false, fmt.Sprintf(format, args...))
		},
	}
	if typ == localCommandType {
		return runLocal(ctx, a, req)
	}
	return runRemote(ctx, a.Connection, req)
}

func (p *provider) Create(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	news, err := unmarshal(req.GetProperties(), "create.properties")
	if err != nil {
		return nil, err
	}
	if req.GetPreview() {
		props, err := marshal(outputs(news, unknownString(), unknownString()), "create.preview")
		return &pulumirpc.CreateResponse{Properties: props}, err
	}
	a, failures := decodeArgs(req.GetType(), news, false)
	if err := checkError(failures); err != nil {
		return nil, err
	}
	var res runResult
	if a.Create != "" {
		if res, err = p.execute(ctx, req.GetUrn(), req.GetType(), a, a.Create, nil); err != nil {
			return nil, err // nothing is recorded: the resource was not created
		}
	}
	id, err := newID(req.GetName())
	if err != nil {
		return nil, err
	}
	props, err := marshal(outputs(news, resource.NewProperty(res.Stdout), resource.NewProperty(res.Stderr)), "create.outputs")
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: props}, nil
}

func (p *provider) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	olds, err := unmarshal(req.GetOlds(), "update.olds")
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews(), "update.news")
	if err != nil {
		return nil, err
	}
	a, failures := decodeArgs(req.GetType(), news, false)
	if a == nil || !req.GetPreview() {
		if err := checkError(failures); err != nil {
			return nil, err
		}
	}
	cmd := a.Update
	if cmd == "" {
		cmd = a.Create
	}
	stdout, stderr := olds["stdout"], olds["stderr"]
	switch {
	case cmd == "":
		// Nothing to run: keep the previous output.
	case req.GetPreview():
		stdout, stderr = unknownString(), unknownString()
	default:
		res, err := p.execute(ctx, req.GetUrn(), req.GetType(), a, cmd, previousOutput(a, olds))
		if err != nil {
			return nil, err // the state keeps the previous inputs and outputs
		}
		stdout, stderr = resource.NewProperty(res.Stdout), resource.NewProperty(res.Stderr)
	}
	props, err := marshal(outputs(news, stdout, stderr), "update.outputs")
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: props}, nil
}

func (p *provider) Delete(ctx context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	state, err := unmarshal(req.GetProperties(), "delete.properties")
	if err != nil {
		return nil, err
	}
	a, failures := decodeArgs(req.GetType(), state, false)
	if a == nil || a.Delete == "" {
		return &emptypb.Empty{}, nil
	}
	if err := checkError(failures); err != nil {
		return nil, err
	}
	if _, err := p.execute(ctx, req.GetUrn(), req.GetType(), a, a.Delete, previousOutput(a, state)); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

// Read (refresh) reports the recorded state unchanged: a command has no live state to read.
func (p *provider) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	inputs := req.GetInputs()
	if inputs == nil {
		state, err := unmarshal(req.GetProperties(), "read.properties")
		if err != nil {
			return nil, err
		}
		if inputs, err = marshal(inputsOf(req.GetType(), state), "read.inputs"); err != nil {
			return nil, err
		}
	}
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: inputs}, nil
}

// newID is the resource's ID: its name and a random suffix (commands have no natural ID).
func newID(name string) (string, error) {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	if name == "" {
		name = "command"
	}
	return name + "-" + hex.EncodeToString(b), nil
}
