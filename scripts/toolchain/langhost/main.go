// Command pulumi-language-nodejs is a small Node.js language host for the Pulumi engine,
// written for this project and compiled against github.com/pulumi/pulumi/sdk/v3 at the
// version of the CLI (so it speaks the CLI's current protocol).
//
// Why it exists: the upstream host lives in its own Go module
// (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3), which the Go module
// proxy reachable here refuses at every version; the newest upstream host it serves is the
// one inside sdk/v3@v3.68.0 (2023), which lacks RunPlugin (so no Node.js policy packs with
// CLI >= 3.221). This host implements what `pulumi preview/up/destroy` and policy packs
// need, and leaves the rest (codegen, templates, packing) unimplemented:
//
//   - Handshake, GetPluginInfo
//   - GetRequiredPackages / GetRequiredPlugins: resource plugins of the installed npm
//     packages (package.json "pulumi": {"resource": true, "name", "version"})
//   - Run: `node @pulumi/pulumi/cmd/run` with the flags and environment that script reads
//   - RunPlugin: Node.js policy packs (cmd/run-policy-pack) and plugins (cmd/run-plugin)
//   - InstallDependencies: `npm install` when node_modules is missing
//   - About: node version
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
	"strings"
	"sync"
	"time"

	"github.com/google/shlex"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// Exit code the Node.js SDK uses after it has already shown the user an actionable error.
const exitAfterUserMessage = 32

type options struct {
	typescript bool
	tsconfig   string
	nodeargs   string
}

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	mu         sync.Mutex
	engine     string
	root       string
	tracing    string
	defaultOpt options
}

func main() {
	var h host
	flag.StringVar(&h.tracing, "tracing", "", "Emit tracing to a Zipkin-compatible tracing endpoint")
	flag.StringVar(&h.root, "root", "", "Project root path to use")
	flag.BoolVar(&h.defaultOpt.typescript, "typescript", true, "Use ts-node/tsx at runtime to support TypeScript")
	flag.StringVar(&h.defaultOpt.tsconfig, "tsconfig", "", "Path to tsconfig.json to use")
	flag.StringVar(&h.defaultOpt.nodeargs, "nodeargs", "", "Arguments for the Node process")
	flag.String("packagemanager", "", "Package manager (npm only here)")
	flag.String("binary", "", "Unused (kept for compatibility)")
	flag.Parse()
	if flag.NArg() > 0 {
		h.engine = flag.Arg(0)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cancelServer := make(chan bool)
	if h.engine != "" {
		go func() {
			// Stop when the engine goes away.
			_ = rpcutil.Healthcheck(ctx, h.engine, 5*time.Minute, cancel)
			<-ctx.Done()
			close(cancelServer)
		}()
	}

	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancelServer,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, &h)
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

func (h *host) Handshake(_ context.Context, req *pulumirpc.LanguageHandshakeRequest) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.engine = req.GetEngineAddress()
	if req.RootDirectory != nil {
		h.root = req.GetRootDirectory()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

// optionsFor merges the runtime options of Pulumi.yaml (runtime.options) over the flags.
func (h *host) optionsFor(info *pulumirpc.ProgramInfo) options {
	o := h.defaultOpt
	if info == nil || info.GetOptions() == nil {
		return o
	}
	m := info.GetOptions().AsMap()
	if v, ok := m["typescript"].(bool); ok {
		o.typescript = v
	}
	if v, ok := m["tsconfig"].(string); ok {
		o.tsconfig = v
	}
	if v, ok := m["nodeargs"].(string); ok {
		o.nodeargs = v
	}
	return o
}

func programDir(info *pulumirpc.ProgramInfo, pwd string) string {
	if info != nil && info.GetProgramDirectory() != "" {
		return info.GetProgramDirectory()
	}
	if pwd != "" {
		return pwd
	}
	wd, _ := os.Getwd()
	return wd
}

// resolveModule finds a module (e.g. "@pulumi/pulumi/cmd/run") as Node.js would from dir.
func resolveModule(ctx context.Context, nodeBin, dir, module string) (string, error) {
	cmd := exec.CommandContext(ctx, nodeBin, "-e", "process.stdout.write(require.resolve(process.argv[1]))", module)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("could not find %s from %s (has `npm install` run?): %v: %s",
			module, dir, err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

// ---------------------------------------------------------------------------
// Required plugins: the resource plugins of the npm packages installed for the program.
// ---------------------------------------------------------------------------

type pkgJSON struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Pulumi  *struct {
		Resource bool   `json:"resource"`
		Name     string `json:"name"`
		Version  string `json:"version"`
		Server   string `json:"server"`
	} `json:"pulumi"`
}

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

func requiredPackages(dir string) []*pulumirpc.PackageDependency {
	nm := findNodeModules(dir)
	if nm == "" {
		return nil
	}
	seen := map[string]*pulumirpc.PackageDependency{}
	var visit func(nmDir string, depth int)
	visit = func(nmDir string, depth int) {
		if depth > 8 {
			return
		}
		entries, err := os.ReadDir(nmDir)
		if err != nil {
			return
		}
		for _, e := range entries {
			name := e.Name()
			if strings.HasPrefix(name, ".") {
				continue
			}
			p := filepath.Join(nmDir, name)
			if strings.HasPrefix(name, "@") {
				scoped, _ := os.ReadDir(p)
				for _, s := range scoped {
					checkPackage(filepath.Join(p, s.Name()), seen)
					visit(filepath.Join(p, s.Name(), "node_modules"), depth+1)
				}
				continue
			}
			checkPackage(p, seen)
			visit(filepath.Join(p, "node_modules"), depth+1)
		}
	}
	visit(nm, 0)
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	deps := make([]*pulumirpc.PackageDependency, 0, len(keys))
	for _, k := range keys {
		deps = append(deps, seen[k])
	}
	return deps
}

func checkPackage(dir string, seen map[string]*pulumirpc.PackageDependency) {
	b, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return
	}
	var p pkgJSON
	if json.Unmarshal(b, &p) != nil || p.Pulumi == nil || !p.Pulumi.Resource {
		return
	}
	name := p.Pulumi.Name
	if name == "" {
		name = strings.TrimPrefix(p.Name, "@pulumi/")
	}
	v := p.Pulumi.Version
	if v == "" {
		v = p.Version
	}
	if v == "" || name == "" {
		return
	}
	v = "v" + strings.TrimPrefix(v, "v")
	seen[name+"@"+v] = &pulumirpc.PackageDependency{Kind: "resource", Name: name, Version: v, Server: p.Pulumi.Server}
}

func (h *host) GetRequiredPackages(_ context.Context, req *pulumirpc.GetRequiredPackagesRequest) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{Packages: requiredPackages(programDir(req.GetInfo(), ""))}, nil
}

//nolint:staticcheck // GetRequiredPlugins is deprecated but still asked for by older engines.
func (h *host) GetRequiredPlugins(_ context.Context, req *pulumirpc.GetRequiredPluginsRequest) (*pulumirpc.GetRequiredPluginsResponse, error) {
	var plugins []*pulumirpc.PluginDependency
	for _, d := range requiredPackages(programDir(req.GetInfo(), req.GetPwd())) {
		plugins = append(plugins, &pulumirpc.PluginDependency{Name: d.Name, Kind: d.Kind, Version: d.Version, Server: d.Server})
	}
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: plugins}, nil
}

// ---------------------------------------------------------------------------
// Run: execute the program with @pulumi/pulumi/cmd/run.
// ---------------------------------------------------------------------------

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return &pulumirpc.RunResponse{Error: "could not find node on the $PATH: " + err.Error()}, nil
	}
	dir := programDir(req.GetInfo(), req.GetPwd())
	opts := h.optionsFor(req.GetInfo())
	runPath := os.Getenv("PULUMI_LANGUAGE_NODEJS_RUN_PATH")
	if runPath == "" {
		runPath = "@pulumi/pulumi/cmd/run"
	}
	runPath, err = resolveModule(ctx, nodeBin, dir, runPath)
	if err != nil {
		return &pulumirpc.RunResponse{Error: "It looks like the Pulumi SDK has not been installed. " + err.Error()}, nil
	}

	h.mu.Lock()
	engine, root := h.engine, h.root
	h.mu.Unlock()
	if req.GetInfo().GetRootDirectory() != "" {
		root = req.GetInfo().GetRootDirectory()
	}

	args, err := shlex.Split(opts.nodeargs)
	if err != nil {
		return &pulumirpc.RunResponse{Error: "invalid nodeargs: " + err.Error()}, nil
	}
	args = append(args, runPath)
	add := func(k, v string) {
		if v != "" {
			args = append(args, "--"+k, v)
		}
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", engine)
	add("organization", req.GetOrganization())
	add("project", req.GetProject())
	add("stack", req.GetStack())
	add("pwd", dir)
	add("root-directory", root)
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	add("query-mode", fmt.Sprint(req.GetQueryMode()))
	add("parallel", fmt.Sprint(req.GetParallel()))
	add("tracing", h.tracing)
	entry := req.GetInfo().GetEntryPoint()
	if entry == "" {
		entry = req.GetProgram()
	}
	if entry == "" {
		entry = "."
	}
	args = append(args, entry)
	args = append(args, req.GetArgs()...)

	config := req.GetConfig()
	if config == nil {
		config = map[string]string{}
	}
	configJSON, err := json.Marshal(config)
	if err != nil {
		return nil, err
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, err
	}
	env := append(os.Environ(),
		"PULUMI_CONFIG="+string(configJSON),
		"PULUMI_CONFIG_SECRET_KEYS="+string(secretJSON))
	if opts.typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if opts.tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+opts.tsconfig)
	}

	cmd := exec.Command(nodeBin, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	err = cmd.Run()
	_ = os.Stdout.Sync()
	_ = os.Stderr.Sync()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return &pulumirpc.RunResponse{}, nil
	case errors.As(err, &exitErr) && exitErr.ExitCode() == exitAfterUserMessage:
		return &pulumirpc.RunResponse{Bail: true}, nil
	case errors.As(err, &exitErr):
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exitErr.ExitCode())}, nil
	default:
		return &pulumirpc.RunResponse{Error: "Problem executing program (could not run language executor): " + err.Error()}, nil
	}
}

// ---------------------------------------------------------------------------
// RunPlugin: Node.js policy packs ("analyzer") and plugins ("resource", ...).
// ---------------------------------------------------------------------------

type streamWriter struct {
	mu     *sync.Mutex
	send   func(*pulumirpc.RunPluginResponse) error
	stderr bool
}

func (w streamWriter) Write(p []byte) (int, error) {
	b := append([]byte(nil), p...)
	msg := &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: b}}
	if w.stderr {
		msg = &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: b}}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.send(msg); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, server grpc.ServerStreamingServer[pulumirpc.RunPluginResponse]) error {
	ctx := server.Context()
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return fmt.Errorf("could not find node on the $PATH: %w", err)
	}
	dir := programDir(req.GetInfo(), req.GetPwd())
	opts := h.optionsFor(req.GetInfo())
	entry := req.GetInfo().GetEntryPoint()
	if entry == "" {
		entry = "."
	}
	args, err := shlex.Split(opts.nodeargs)
	if err != nil {
		return fmt.Errorf("invalid nodeargs: %w", err)
	}
	if req.GetKind() == "analyzer" {
		// cmd/run-policy-pack <engine-address> <program>; the engine passes its address in Args.
		script, err := resolveModule(ctx, nodeBin, dir, "@pulumi/pulumi/cmd/run-policy-pack")
		if err != nil {
			return err
		}
		args = append(args, script)
		args = append(args, req.GetArgs()...)
		args = append(args, entry)
	} else {
		// cmd/run-plugin <program> [args...]
		script, err := resolveModule(ctx, nodeBin, dir, "@pulumi/pulumi/cmd/run-plugin")
		if err != nil {
			return err
		}
		args = append(args, script, entry)
		args = append(args, req.GetArgs()...)
	}

	env := append(os.Environ(), req.GetEnv()...)
	if opts.typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if opts.tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+opts.tsconfig)
	}

	var mu sync.Mutex
	cmd := exec.CommandContext(ctx, nodeBin, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout = streamWriter{mu: &mu, send: server.Send}
	cmd.Stderr = streamWriter{mu: &mu, send: server.Send, stderr: true}
	code := int32(0)
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			return fmt.Errorf("running plugin: %w", err)
		}
		code = int32(exitErr.ExitCode())
	}
	mu.Lock()
	defer mu.Unlock()
	return server.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: code}})
}

// ---------------------------------------------------------------------------
// InstallDependencies and About.
// ---------------------------------------------------------------------------

func (h *host) InstallDependencies(req *pulumirpc.InstallDependenciesRequest, server grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse]) error {
	dir := programDir(req.GetInfo(), req.GetDirectory()) //nolint:staticcheck
	if st, err := os.Stat(filepath.Join(dir, "node_modules")); err == nil && st.IsDir() {
		return server.Send(&pulumirpc.InstallDependenciesResponse{Stdout: []byte("node_modules present; nothing to install\n")})
	}
	var mu sync.Mutex
	send := func(stderr bool) io.Writer {
		return writerFunc(func(p []byte) (int, error) {
			b := append([]byte(nil), p...)
			mu.Lock()
			defer mu.Unlock()
			r := &pulumirpc.InstallDependenciesResponse{Stdout: b}
			if stderr {
				r = &pulumirpc.InstallDependenciesResponse{Stderr: b}
			}
			return len(p), server.Send(r)
		})
	}
	cmd := exec.CommandContext(server.Context(), "npm", "install")
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = send(false), send(true)
	return cmd.Run()
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func (h *host) About(ctx context.Context, _ *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return nil, status.Error(codes.FailedPrecondition, "node not found on $PATH")
	}
	out, err := exec.CommandContext(ctx, nodeBin, "--version").Output()
	if err != nil {
		return nil, err
	}
	return &pulumirpc.AboutResponse{
		Executable: nodeBin,
		Version:    strings.TrimPrefix(strings.TrimSpace(string(out)), "v"),
	}, nil
}
