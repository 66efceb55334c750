// Command pulumi-language-nodejs is a small Node.js language host for the Pulumi engine, written for
// labfabric's offline toolchain (scripts/toolchain/ensure.sh).
//
// Upstream's host lives in its own, untagged Go module that the Go module proxy reachable from our
// machines does not serve, so we build this one against github.com/pulumi/pulumi/sdk/v3 at the
// pinned engine version instead. It does what the engine needs for `pulumi preview/up/destroy/
// refresh`: it launches the program through @pulumi/pulumi's own `cmd/run` entry point (which does
// all the real work) and reports the resource plugins the installed npm packages ask for. It also
// starts policy packs (`--policy-pack`) and other Node.js plugins for the engine (RunPlugin).
//
// Runtime options read from Pulumi.yaml (`runtime.options`), as upstream's host reads them:
//
//	typescript: bool   (default true) run .ts through ts-node (the project's, or the SDK's vendored one)
//	tsconfig:   string tsconfig file passed to ts-node
//	nodeargs:   string extra arguments for node, e.g. "--import tsx"
//
// The engine starts the host as `pulumi-language-nodejs [--logtostderr] [-v=N] [--tracing URL]
// ENGINE_ADDRESS`; the host prints the port it serves gRPC on as the first line of stdout.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	sdk "github.com/pulumi/pulumi/sdk/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

// version is set at link time (-X main.version=...).
var version = "v0.0.0-dev"

// bailExitCode is what @pulumi/pulumi's cmd/run exits with after it has already shown the user an
// actionable error message; the engine should then stop without adding its own.
const bailExitCode = 32

func main() {
	// --logtostderr and -v are registered by glog, which the Pulumi SDK pulls in.
	if flag.Lookup("logtostderr") == nil {
		flag.Bool("logtostderr", false, "log to stderr")
	}
	if flag.Lookup("v") == nil {
		flag.Int("v", 0, "log verbosity")
	}
	tracing := flag.String("tracing", "", "emit tracing to a Zipkin-compatible endpoint")
	// Upstream's hosts once took these as flags; accepted (and used as defaults) for compatibility.
	typescript := flag.Bool("typescript", true, "use ts-node to run TypeScript (default; see runtime options)")
	tsconfig := flag.String("tsconfig", "", "tsconfig file for ts-node")
	nodeargs := flag.String("nodeargs", "", "arguments for the node process")
	flag.String("root", "", "project root (ignored)")
	flag.String("packagemanager", "", "package manager (ignored; detected from lock files)")
	flag.Parse()

	args := flag.Args()
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: pulumi-language-nodejs [flags] ENGINE_ADDRESS")
		os.Exit(2)
	}

	verbose, _ := strconv.Atoi(flag.Lookup("v").Value.String())
	host := &nodeHost{
		engineAddress: args[0],
		tracing:       *tracing,
		verbose:       verbose,
		defaults:      runOptions{typescript: *typescript, tsconfig: *tsconfig, nodeargs: *nodeargs},
	}

	cancel := make(chan bool)
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancel,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
		Options: rpcutil.OpenTracingServerInterceptorOptions(nil),
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "fatal: could not start language host RPC server: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "fatal: language host RPC server stopped: %v\n", err)
		os.Exit(1)
	}
}

type runOptions struct {
	typescript bool
	tsconfig   string
	nodeargs   string
}

type nodeHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	engineAddress string
	tracing       string
	verbose       int
	defaults      runOptions
}

func (h *nodeHost) debugf(format string, args ...any) {
	if h.verbose >= 5 {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: "+format+"\n", args...)
	}
}

// options merges Pulumi.yaml's runtime.options over the command-line defaults.
func (h *nodeHost) options(info *pulumirpc.ProgramInfo) (runOptions, error) {
	o := h.defaults
	if info == nil || info.GetOptions() == nil {
		return o, nil
	}
	m := info.GetOptions().AsMap()
	if v, ok := m["typescript"]; ok {
		b, ok := v.(bool)
		if !ok {
			return o, fmt.Errorf("runtime option typescript must be a boolean, got %T", v)
		}
		o.typescript = b
	}
	for key, dst := range map[string]*string{"tsconfig": &o.tsconfig, "nodeargs": &o.nodeargs} {
		if v, ok := m[key]; ok {
			s, ok := v.(string)
			if !ok {
				return o, fmt.Errorf("runtime option %s must be a string, got %T", key, v)
			}
			*dst = s
		}
	}
	return o, nil
}

// programDirs returns the project root and the program directory for a request.
func programDirs(info *pulumirpc.ProgramInfo, pwd string) (root, dir, entry string) {
	root, dir, entry = info.GetRootDirectory(), info.GetProgramDirectory(), info.GetEntryPoint()
	if dir == "" {
		dir = pwd
	}
	if dir == "" {
		dir, _ = os.Getwd()
	}
	if root == "" {
		root = dir
	}
	if entry == "" {
		entry = "."
	}
	return root, dir, entry
}

func (h *nodeHost) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: strings.TrimPrefix(version, "v")}, nil
}

func (h *nodeHost) Handshake(
	_ context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	if req.GetEngineAddress() != "" {
		h.engineAddress = req.GetEngineAddress()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

// --- plugins the program needs -----------------------------------------------------------------------

type pulumiPackageJSON struct {
	Name   string `json:"name"`
	Pulumi struct {
		Resource bool   `json:"resource"`
		Name     string `json:"name"`
		Version  string `json:"version"`
		Server   string `json:"server"`
	} `json:"pulumi"`
}

// findNodeModules walks up from dir to the nearest node_modules directory.
func findNodeModules(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		nm := filepath.Join(d, "node_modules")
		if st, err := os.Stat(nm); err == nil && st.IsDir() {
			return nm
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// requiredPlugins reads every package.json under node_modules (including nested node_modules) and
// returns the resource plugins that packages with `"pulumi": {"resource": true}` ask for.
func requiredPlugins(programDir string) ([]*pulumirpc.PluginDependency, error) {
	nm := findNodeModules(programDir)
	if nm == "" {
		return nil, nil
	}
	seen := map[string]*pulumirpc.PluginDependency{}
	var walk func(dir string, depth int)
	walk = func(dir string, depth int) {
		if depth > 8 {
			return
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			return
		}
		for _, e := range entries {
			if !e.IsDir() && e.Type()&os.ModeSymlink == 0 {
				continue
			}
			name := e.Name()
			if strings.HasPrefix(name, ".") {
				continue
			}
			p := filepath.Join(dir, name)
			if strings.HasPrefix(name, "@") {
				walk(p, depth) // a scope: its children are packages
				continue
			}
			if data, err := os.ReadFile(filepath.Join(p, "package.json")); err == nil {
				var pkg pulumiPackageJSON
				if json.Unmarshal(data, &pkg) == nil && pkg.Pulumi.Resource {
					n := pkg.Pulumi.Name
					if n == "" {
						n = strings.TrimPrefix(pkg.Name, "@pulumi/")
					}
					v := pkg.Pulumi.Version
					if v != "" && !strings.HasPrefix(v, "v") {
						v = "v" + v
					}
					key := n + "@" + v
					if _, ok := seen[key]; !ok {
						seen[key] = &pulumirpc.PluginDependency{
							Name: n, Kind: "resource", Version: v, Server: pkg.Pulumi.Server,
						}
					}
				}
			}
			walk(filepath.Join(p, "node_modules"), depth+1)
		}
	}
	walk(nm, 0)
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]*pulumirpc.PluginDependency, 0, len(keys))
	for _, k := range keys {
		out = append(out, seen[k])
	}
	return out, nil
}

func (h *nodeHost) GetRequiredPlugins(
	_ context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	_, dir, _ := programDirs(req.GetInfo(), req.GetPwd()) //nolint:staticcheck
	plugins, err := requiredPlugins(dir)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: plugins}, nil
}

func (h *nodeHost) GetRequiredPackages(
	_ context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	_, dir, _ := programDirs(req.GetInfo(), "")
	plugins, err := requiredPlugins(dir)
	if err != nil {
		return nil, err
	}
	pkgs := make([]*pulumirpc.PackageDependency, 0, len(plugins))
	for _, p := range plugins {
		pkgs = append(pkgs, &pulumirpc.PackageDependency{
			Name: p.Name, Kind: p.Kind, Version: p.Version, Server: p.Server,
		})
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: pkgs}, nil
}

// --- running the program --------------------------------------------------------------------------------

// locateRunner resolves @pulumi/pulumi/cmd/run from the program directory, as node would.
func locateRunner(nodeBin, dir string) (string, error) {
	if p := os.Getenv("PULUMI_LANGUAGE_NODEJS_RUN_PATH"); p != "" {
		return p, nil
	}
	return resolveModule(nodeBin, dir, "@pulumi/pulumi/cmd/run")
}

// resolveModule resolves a module (a name or a path) from dir, as require() there would.
func resolveModule(nodeBin, dir, module string) (string, error) {
	const script = `try { process.stdout.write(require.resolve(process.argv[1])) } ` +
		`catch (e) { process.stderr.write(String(e.message).split("\n")[0]); process.exit(1) }`
	cmd := exec.Command(nodeBin, "-e", script, module)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("could not find %s from %s: it looks like the Pulumi SDK (@pulumi/pulumi) has not "+
			"been installed there; have you run npm install? (%v: %s)", module, dir, err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

func (h *nodeHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	opts, err := h.options(req.GetInfo())
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	root, dir, entry := programDirs(req.GetInfo(), req.GetPwd())
	if req.GetInfo() == nil && req.GetProgram() != "" {
		entry = req.GetProgram()
	}

	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not find node on the $PATH: %v", err)}, nil
	}
	runPath, err := locateRunner(nodeBin, dir)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	config, err := json.Marshal(orEmpty(req.GetConfig()))
	if err != nil {
		return nil, err
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretKeysJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, err
	}

	nodeArgs, err := splitArgs(opts.nodeargs)
	if err != nil {
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("runtime option nodeargs: %v", err)}, nil
	}
	args := append(nodeArgs, runPath)
	add := func(k, v string) {
		if v != "" {
			args = append(args, "--"+k, v)
		}
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", h.engineAddress)
	add("organization", req.GetOrganization())
	add("project", req.GetProject())
	add("root-directory", root)
	add("stack", req.GetStack())
	add("pwd", dir)
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	if req.GetQueryMode() {
		args = append(args, "--query-mode", "true")
	}
	if req.GetParallel() > 0 {
		add("parallel", fmt.Sprint(req.GetParallel()))
	}
	add("tracing", h.tracing)
	args = append(args, entry)
	args = append(args, req.GetArgs()...)

	env := append(os.Environ(),
		"PULUMI_CONFIG="+string(config),
		"PULUMI_CONFIG_SECRET_KEYS="+string(secretKeysJSON),
	)
	if opts.typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if opts.tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+opts.tsconfig)
	}
	h.debugf("running %s %s (in %s)", nodeBin, strings.Join(args, " "), dir)

	cmd := exec.CommandContext(ctx, nodeBin, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	err = cmd.Run()
	_ = os.Stdout.Sync()
	_ = os.Stderr.Sync()
	if err == nil {
		return &pulumirpc.RunResponse{}, nil
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		switch code := exitErr.ExitCode(); code {
		case bailExitCode:
			return &pulumirpc.RunResponse{Bail: true}, nil
		case 0:
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("program exited unexpectedly: %v", err)}, nil
		default:
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("program exited with non-zero exit code: %d", code)}, nil
		}
	}
	return &pulumirpc.RunResponse{Error: fmt.Sprintf("problem executing program (could not run node): %v", err)}, nil
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// splitArgs splits a string into arguments the way a POSIX shell would (quotes and backslashes), without
// expanding anything.
func splitArgs(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inArg, quote := false, rune(0)
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			} else {
				cur.WriteRune(c)
			}
		case quote == '"':
			if c == '"' {
				quote = 0
			} else if c == '\\' && i+1 < len(rs) && strings.ContainsRune(`"\$`+"`", rs[i+1]) {
				i++
				cur.WriteRune(rs[i])
			} else {
				cur.WriteRune(c)
			}
		case c == '\'' || c == '"':
			quote, inArg = c, true
		case c == '\\' && i+1 < len(rs):
			i++
			cur.WriteRune(rs[i])
			inArg = true
		case c == ' ' || c == '\t' || c == '\n':
			if inArg {
				out = append(out, cur.String())
				cur.Reset()
				inArg = false
			}
		default:
			cur.WriteRune(c)
			inArg = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated quote in %q", s)
	}
	if inArg {
		out = append(out, cur.String())
	}
	return out, nil
}

// --- plugins written in Node.js: policy packs ------------------------------------------------------------

// RunPlugin starts a plugin whose program is Node.js code, as upstream's host (sdk v3.248.0) does.
// The engine calls it for `pulumi preview/up --policy-pack DIR` when DIR/PulumiPolicy.yaml says
// `runtime: nodejs` (kind "analyzer"), and for plugins described by a PulumiPlugin.yaml. The
// plugin's stdout and stderr travel back as RunPluginResponse messages (the engine reads the port
// the plugin serves gRPC on from the first line of stdout), and the stream ends with its exit code.
//
// A policy pack runs as `node [nodeargs] <@pulumi/pulumi/cmd/run-policy-pack> ARGS... PACK_DIR` in
// the pack's directory (ARGS end with the engine's address); run-policy-pack loads the pack (.ts
// through ts-node) and the pack prints its port. As upstream's host does, the SDK's PolicyProxy
// stands between the engine and the pack: the engine gets the proxy's port at once, and the proxy
// answers Handshake and ConfigureStack itself, so the pack starts with the stack's organization,
// project, stack, dry-run flag and config in its environment (PULUMI_NODEJS_*, PULUMI_CONFIG); then
// it forwards ConfigureStack and every later call to the pack.
//
// Any other plugin runs as `node [nodeargs] <@pulumi/pulumi/cmd/run-plugin> PROGRAM_DIR ARGS...` in
// the engine's working directory (PULUMI_LANGUAGE_NODEJS_RUN_PATH replaces the entry point).
//
// One deliberate difference: upstream puts `nodeargs` after the entry point, where run-policy-pack
// ignores them; here they are node's options, as for Run. Attaching a debugger is not supported.
func (h *nodeHost) RunPlugin(
	req *pulumirpc.RunPluginRequest, server grpc.ServerStreamingServer[pulumirpc.RunPluginResponse],
) error {
	ctx := server.Context()
	if req.GetAttachDebugger() {
		return status.Error(codes.Unimplemented, "this pulumi-language-nodejs cannot attach a debugger to plugins")
	}
	dir := req.GetInfo().GetProgramDirectory()
	if dir == "" {
		dir = req.GetProgram() //nolint:staticcheck // engines before ProgramInfo
	}
	if dir == "" {
		return status.Error(codes.InvalidArgument, "RunPlugin: no program directory")
	}
	opts, err := h.options(req.GetInfo())
	if err != nil {
		return err
	}
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return fmt.Errorf("could not find node on the $PATH: %w", err)
	}

	analyzer := req.GetKind() == "analyzer" // apitype.AnalyzerPlugin
	entry := "@pulumi/pulumi/cmd/run-plugin"
	if analyzer {
		entry = "@pulumi/pulumi/cmd/run-policy-pack"
	} else if p := os.Getenv("PULUMI_LANGUAGE_NODEJS_RUN_PATH"); p != "" {
		entry = p
	}
	runPath, err := resolveModule(nodeBin, dir, entry)
	if err != nil {
		return err
	}
	args, err := splitArgs(opts.nodeargs)
	if err != nil {
		return fmt.Errorf("runtime option nodeargs: %w", err)
	}
	args = append(args, runPath)
	if analyzer {
		args = append(append(args, req.GetArgs()...), dir)
	} else {
		args = append(append(args, dir), req.GetArgs()...)
	}

	env := append([]string(nil), req.GetEnv()...) // the engine sends the whole environment
	if len(env) == 0 {
		env = os.Environ()
	}
	if opts.typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if opts.tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+opts.tsconfig)
	}

	var mu sync.Mutex
	stdout := io.Writer(streamWriter{&mu, func(b []byte) error {
		return server.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: b}})
	}})
	stderr := io.Writer(streamWriter{&mu, func(b []byte) error {
		return server.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: b}})
	}})

	var proxy *sdk.PolicyProxy
	if analyzer {
		// The proxy prints its own port to stdout and takes the pack's stdout in exchange.
		if proxy, stdout, err = sdk.NewPolicyProxy(ctx, stdout); err != nil {
			return fmt.Errorf("could not start the policy pack proxy: %w", err)
		}
		stack, err := proxy.AwaitConfiguration(ctx)
		if err != nil {
			return fmt.Errorf("could not get the stack configuration for the policy pack: %w", err)
		}
		more, err := policyPackEnv(stack)
		if err != nil {
			return err
		}
		env = append(env, more...)
	}

	cmd := exec.CommandContext(ctx, nodeBin, args...)
	cmd.Dir = req.GetPwd()
	if analyzer {
		cmd.Dir = dir // policy packs have always run in their own directory
	}
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = stdout, stderr
	h.debugf("running plugin %q: %s %s (in %s)", req.GetName(), nodeBin, strings.Join(args, " "), cmd.Dir)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("could not run node for plugin %s: %w", dir, err)
	}
	if proxy != nil {
		err = proxy.Attach(ctx, cmd) // returns when the pack exits
	} else {
		err = cmd.Wait()
	}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return server.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{}})
	case errors.As(err, &exitErr) && exitErr.Exited():
		code := int32(exitErr.ExitCode()) //nolint:gosec // 0..255
		return server.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: code}})
	case ctx.Err() != nil:
		return ctx.Err() // the engine is done with the plugin (and has killed it)
	default:
		return fmt.Errorf("plugin %s: %w", dir, err)
	}
}

// policyPackEnv is the environment upstream's host gives a policy pack from the engine's
// ConfigureStack request (nil when the engine sent none, e.g. for `pulumi policy publish`).
func policyPackEnv(stack *pulumirpc.AnalyzerStackConfigureRequest) ([]string, error) {
	if stack == nil {
		return nil, nil
	}
	var env []string
	add := func(k, v string) {
		if v != "" {
			env = append(env, k+"="+v)
		}
	}
	add("PULUMI_NODEJS_ORGANIZATION", stack.GetOrganization())
	add("PULUMI_NODEJS_PROJECT", stack.GetProject())
	add("PULUMI_NODEJS_STACK", stack.GetStack())
	add("PULUMI_NODEJS_DRY_RUN", strconv.FormatBool(stack.GetDryRun()))
	if stack.GetConfig() != nil {
		config, err := json.Marshal(stack.GetConfig())
		if err != nil {
			return nil, err
		}
		add("PULUMI_CONFIG", string(config))
	}
	return env, nil
}

// --- the rest of the protocol that the CLI uses outside preview/up ------------------------------------

// packageManager picks npm, yarn or pnpm from the lock file in dir (npm when none).
func packageManager(dir string) (string, []string) {
	for d := dir; ; d = filepath.Dir(d) {
		switch {
		case exists(filepath.Join(d, "pnpm-lock.yaml")):
			return "pnpm", []string{"install"}
		case exists(filepath.Join(d, "yarn.lock")):
			return "yarn", []string{"install"}
		case exists(filepath.Join(d, "package-lock.json")):
			return "npm", []string{"install", "--loglevel=error"}
		}
		if filepath.Dir(d) == d {
			return "npm", []string{"install", "--loglevel=error"}
		}
	}
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// streamWriter turns writes into messages on a server stream. A process's stdout and stderr are
// copied by two goroutines, and a gRPC stream must not be sent on concurrently, so the writers of
// one stream share a mutex.
type streamWriter struct {
	mu   *sync.Mutex
	send func([]byte) error
}

func (w streamWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.send(append([]byte(nil), p...)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// InstallDependencies backs `pulumi install`: it runs the project's package manager.
func (h *nodeHost) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest,
	stream grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	_, dir, _ := programDirs(req.GetInfo(), req.GetDirectory()) //nolint:staticcheck
	tool, args := packageManager(dir)
	var mu sync.Mutex
	out := io.Writer(streamWriter{&mu, func(b []byte) error {
		return stream.Send(&pulumirpc.InstallDependenciesResponse{Stdout: b})
	}})
	errw := io.Writer(streamWriter{&mu, func(b []byte) error {
		return stream.Send(&pulumirpc.InstallDependenciesResponse{Stderr: b})
	}})
	fmt.Fprintf(out, "Installing dependencies with %s %s in %s\n", tool, strings.Join(args, " "), dir)
	cmd := exec.CommandContext(stream.Context(), tool, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = out, errw
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s install failed: %w", tool, err)
	}
	return nil
}

func (h *nodeHost) About(context.Context, *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	resp := &pulumirpc.AboutResponse{Executable: "node"}
	if nodeBin, err := exec.LookPath("node"); err == nil {
		resp.Executable = nodeBin
		if out, err := exec.Command(nodeBin, "--version").Output(); err == nil {
			resp.Version = strings.TrimPrefix(strings.TrimSpace(string(out)), "v")
		}
	}
	return resp, nil
}

// GetProgramDependencies lists the program's direct npm dependencies (for `pulumi about`).
func (h *nodeHost) GetProgramDependencies(
	_ context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	_, dir, _ := programDirs(req.GetInfo(), req.GetPwd()) //nolint:staticcheck
	resp := &pulumirpc.GetProgramDependenciesResponse{}
	data, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return resp, nil
	}
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	if json.Unmarshal(data, &pkg) != nil {
		return resp, nil
	}
	nm := findNodeModules(dir)
	names := make([]string, 0, len(pkg.Dependencies))
	for n := range pkg.Dependencies {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		v := pkg.Dependencies[n]
		if nm != "" {
			if b, err := os.ReadFile(filepath.Join(nm, n, "package.json")); err == nil {
				var p struct {
					Version string `json:"version"`
				}
				if json.Unmarshal(b, &p) == nil && p.Version != "" {
					v = p.Version
				}
			}
		}
		resp.Dependencies = append(resp.Dependencies, &pulumirpc.DependencyInfo{Name: n, Version: v})
	}
	return resp, nil
}

// RuntimeOptionsPrompts: nothing to ask (used by `pulumi new`).
func (h *nodeHost) RuntimeOptionsPrompts(
	context.Context, *pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}
