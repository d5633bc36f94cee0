// Command gen_sdk writes the Node.js and Go SDKs of the stripe-apps provider from its schema.json with
// Pulumi's own code generators (pkg/v3/codegen/nodejs and codegen/go): the code `pulumi package gen-sdk`
// runs inside the language hosts, which the Go module proxy does not serve.
//
//	gen_sdk -schema schema.json -out sdk [-languages nodejs,go]
//
// Each language's directory under -out is replaced whole, so a file the generator no longer writes goes
// away. Run through `make sdk`; tests/engine/test_sdk_current.py checks the committed sdk/ is current.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/blang/semver"
	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	nodejsgen "github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// Named in every generated file's "do not edit" header.
const tool = "scripts/gen_sdk (make sdk)"

// The SDKs are used from this repository, not from a registry: they carry the schema's version (the
// published SDKs of Pulumi's providers get theirs stamped at release, `${VERSION}` until then, which npm
// refuses). Applied only where the schema's `language` section does not say otherwise.
var localDefaults = map[string]map[string]any{
	"nodejs": {"respectSchemaVersion": true},
	"go":     {"respectSchemaVersion": true},
}

func main() {
	schemaPath := flag.String("schema", "schema.json", "the provider's Pulumi package schema")
	out := flag.String("out", "sdk", "directory that receives one subdirectory per language")
	languages := flag.String("languages", "nodejs,go", "comma-separated: nodejs, go")
	flag.Parse()
	if err := run(*schemaPath, *out, strings.Split(*languages, ",")); err != nil {
		fmt.Fprintf(os.Stderr, "gen_sdk: %v\n", err)
		os.Exit(1)
	}
}

func run(schemaPath, out string, languages []string) error {
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		return err
	}
	for _, language := range languages {
		// Bound afresh per language: the generators record their options in the package.
		pkg, err := bind(raw, language)
		if err != nil {
			return fmt.Errorf("%s: %w", schemaPath, err)
		}
		var files map[string][]byte
		switch language {
		case "nodejs":
			// localSDK: a package.json whose postinstall compiles the TypeScript, as for `pulumi package add`.
			files, err = nodejsgen.GeneratePackage(tool, pkg, nil, nil, true, noLoader{})
		case "go":
			files, err = gogen.GeneratePackage(tool, pkg, nil)
		default:
			return fmt.Errorf("unknown language %q (nodejs, go)", language)
		}
		if err != nil {
			return fmt.Errorf("generating the %s SDK: %w", language, err)
		}
		if language == "go" {
			if err := moveGoMod(pkg, out, files); err != nil {
				return err
			}
		}
		if err := replaceTree(filepath.Join(out, language), files); err != nil {
			return err
		}
	}
	return nil
}

func bind(raw []byte, language string) (*schema.Package, error) {
	var spec schema.PackageSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return nil, err
	}
	if language == "go" {
		// The Go generator writes a go.mod (module: the schema's modulePath) only for packable packages;
		// without one the SDK is no module a program can require.
		if spec.Meta == nil {
			spec.Meta = &schema.MetadataSpec{}
		}
		spec.Meta.SupportPack = true
	}
	if spec.Language == nil {
		spec.Language = map[string]schema.RawMessage{}
	}
	for language, defaults := range localDefaults {
		options := map[string]any{}
		if given, ok := spec.Language[language]; ok {
			if err := json.Unmarshal(given, &options); err != nil {
				return nil, fmt.Errorf("language.%s: %w", language, err)
			}
		}
		for key, value := range defaults {
			if _, set := options[key]; !set {
				options[key] = value
			}
		}
		merged, err := json.Marshal(options)
		if err != nil {
			return nil, err
		}
		spec.Language[language] = merged
	}
	pkg, diags, err := schema.BindSpec(spec, noLoader{}, schema.ValidationOptions{})
	if err != nil {
		return nil, err
	}
	if diags.HasErrors() {
		return nil, errors.Join(diags.Errs()...)
	}
	return pkg, nil
}

// moveGoMod writes the go.mod the Go generator made beside the root package to where the module's root is: the
// schema's modulePath names a module above sdk/go (a provider repository's shape: module .../sdk, go.mod at
// sdk/go.mod, package .../sdk/go/stripeapps), so the file goes to the -out directory and leaves files.
func moveGoMod(pkg *schema.Package, out string, files map[string][]byte) error {
	modulePath, importPath, err := gogen.ModuleAndImportPath(pkg)
	if err != nil {
		return err
	}
	goInfo, _ := pkg.Language["go"].(gogen.GoPackageInfo)
	if goInfo.ImportBasePath != modulePath+"/go/"+path.Base(importPath) {
		return fmt.Errorf("language.go: importBasePath %q is not the module %q's go/%s",
			goInfo.ImportBasePath, modulePath, path.Base(importPath))
	}
	goMod, ok := files["go.mod"]
	if !ok {
		return errors.New("the Go generator wrote no go.mod")
	}
	delete(files, "go.mod")
	return os.WriteFile(filepath.Join(out, "go.mod"), goMod, 0o644)
}

func replaceTree(dir string, files map[string][]byte) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, files[name], 0o644); err != nil {
			return err
		}
	}
	return nil
}

// noLoader answers for the packages a schema references; this one references none.
type noLoader struct{}

func (noLoader) refused(name string) error {
	return fmt.Errorf("the schema references package %q; gen_sdk loads no other package", name)
}

func (l noLoader) LoadPackage(pkg string, _ *semver.Version) (*schema.Package, error) {
	return nil, l.refused(pkg)
}

func (l noLoader) LoadPackageV2(_ context.Context, d *schema.PackageDescriptor) (*schema.Package, error) {
	return nil, l.refused(d.Name)
}

func (l noLoader) LoadPackageReference(pkg string, _ *semver.Version) (schema.PackageReference, error) {
	return nil, l.refused(pkg)
}

func (l noLoader) LoadPackageReferenceV2(
	_ context.Context, d *schema.PackageDescriptor,
) (schema.PackageReference, error) {
	return nil, l.refused(d.Name)
}
