import { checkNames } from './check-jsii-names';
import { goNames, javaNames, pythonNames } from './generated-names';
import { Assembly, publicNames, toSnakeCase } from './public-names';

// The check itself (`npx projen test:jsii-names`) reads the packages in dist/ and runs in
// consumers/run.sh; these tests hold its parts to code shaped as jsii-pacmak 1.x writes it, with
// the renames each target makes: Python keywords get `_`, Java keywords become `xValue` and `doX`,
// Go keywords get `_`.

/** A class with a constant, an initializer and a method, and a struct: names every target renames somewhere. */
function assembly(options: { deprecateLambda?: boolean } = {}): Assembly {
  return {
    name: 'lib',
    types: {
      'lib.Engine': {
        fqn: 'lib.Engine',
        name: 'Engine',
        kind: 'class',
        initializer: { parameters: [{ name: 'id' }, { name: 'props' }] },
        properties: [{ name: 'LAMBDA', static: true, const: true, docs: options.deprecateLambda ? { deprecated: 'Use LAMBDA_FUNCTION.', stability: 'deprecated' } : {} }],
        methods: [{ name: 'import', parameters: [{ name: 'default' }] }],
      },
      'lib.Props': {
        fqn: 'lib.Props',
        name: 'Props',
        kind: 'interface',
        datatype: true,
        properties: [{ name: 'memoryMiB' }, { name: 'import' }],
      },
    },
  };
}

const PYTHON = `
class Engine(
    metaclass=jsii.JSIIMeta,
    jsii_type="lib.Engine",
):
    '''An engine.'''

    def __init__(
        self,
        id: builtins.str,
        *,
        memory_mib: typing.Optional[builtins.str] = None,
        import_: typing.Optional[builtins.str] = None,
    ) -> None:
        props = Props(memory_mib=memory_mib, import_=import_)
        jsii.create(self.__class__, self, [id, props])

    @jsii.member(jsii_name="import")
    def import_(self, default: builtins.str) -> None:
        return typing.cast(None, jsii.invoke(self, "import", [default]))

    @jsii.python.classproperty
    @jsii.member(jsii_name="LAMBDA")
    def LAMBDA_(cls) -> "Engine":
        return typing.cast("Engine", jsii.sget(cls, "LAMBDA"))


@jsii.data_type(
    jsii_type="lib.Props",
    jsii_struct_bases=[],
    name_mapping={"memory_mib": "memoryMiB", "import_": "import"},
)
class Props:
    def __init__(
        self,
        *,
        memory_mib: typing.Optional[builtins.str] = None,
        import_: typing.Optional[builtins.str] = None,
    ) -> None:
        self._values: typing.Dict[builtins.str, typing.Any] = {}
`;

const JAVA = [`
@javax.annotation.Generated(value = "jsii-pacmak/1.140.0")
@software.amazon.jsii.Jsii(module = lib.$Module.class, fqn = "lib.Engine")
public class Engine extends software.amazon.jsii.JsiiObject {

    protected Engine(final software.amazon.jsii.JsiiObjectRef objRef) {
        super(objRef);
    }

    static {
        LAMBDA = software.amazon.jsii.JsiiObject.jsiiStaticGet(lib.Engine.class, "LAMBDA", software.amazon.jsii.NativeType.forClass(lib.Engine.class));
    }

    public Engine(final @org.jetbrains.annotations.NotNull java.lang.String id, final @org.jetbrains.annotations.Nullable lib.Props props) {
        super(software.amazon.jsii.JsiiObject.InitializationMode.JSII);
        software.amazon.jsii.JsiiEngine.getInstance().createNewObject(this, new Object[] { java.util.Objects.requireNonNull(id, "id is required"), props });
    }

    public Engine(final @org.jetbrains.annotations.NotNull java.lang.String id) {
        super(software.amazon.jsii.JsiiObject.InitializationMode.JSII);
        software.amazon.jsii.JsiiEngine.getInstance().createNewObject(this, new Object[] { java.util.Objects.requireNonNull(id, "id is required") });
    }

    public void doImport(final @org.jetbrains.annotations.NotNull java.lang.String defaultValue) {
        software.amazon.jsii.Kernel.call(this, "import", software.amazon.jsii.NativeType.VOID, new Object[] { java.util.Objects.requireNonNull(defaultValue, "defaultValue is required") });
    }

    public final static lib.Engine LAMBDA;
}
`, `
@software.amazon.jsii.Jsii(module = lib.$Module.class, fqn = "lib.Props")
@software.amazon.jsii.Jsii.Proxy(Props.Jsii$Proxy.class)
public interface Props extends software.amazon.jsii.JsiiSerializable {

    default @org.jetbrains.annotations.Nullable java.lang.String getMemoryMiB() {
        return null;
    }

    default @org.jetbrains.annotations.Nullable java.lang.String getImportValue() {
        return null;
    }

    @software.amazon.jsii.Internal
    final class Jsii$Proxy extends software.amazon.jsii.JsiiObject implements Props {
        protected Jsii$Proxy(final software.amazon.jsii.JsiiObjectRef objRef) {
            super(objRef);
            this.memoryMiB = software.amazon.jsii.Kernel.get(this, "memoryMiB", software.amazon.jsii.NativeType.forClass(java.lang.String.class));
            this.importValue = software.amazon.jsii.Kernel.get(this, "import", software.amazon.jsii.NativeType.forClass(java.lang.String.class));
        }

        @Override
        @software.amazon.jsii.Internal
        public com.fasterxml.jackson.databind.JsonNode $jsii$toJson() {
            final com.fasterxml.jackson.databind.ObjectMapper om = software.amazon.jsii.JsiiObjectMapper.INSTANCE;
            final com.fasterxml.jackson.databind.node.ObjectNode data = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
            if (this.getMemoryMiB() != null) {
                data.set("memoryMiB", om.valueToTree(this.getMemoryMiB()));
            }
            if (this.getImportValue() != null) {
                data.set("import", om.valueToTree(this.getImportValue()));
            }
            return data;
        }
    }
}
`];

const GO = [`
func init() {
	_jsii_.RegisterClass(
		"lib.Engine",
		reflect.TypeOf((*Engine)(nil)).Elem(),
		[]_jsii_.Member{
			_jsii_.MemberMethod{JsiiMethod: "import", GoMethod: "Import"},
		},
		func() interface{} {
			return &jsiiProxy_Engine{}
		},
	)
	_jsii_.RegisterStruct(
		"lib.Props",
		reflect.TypeOf((*Props)(nil)).Elem(),
	)
}
`, `
type Props struct {
	// The memory.
	MemoryMiB *string \`field:"optional" json:"memoryMiB" yaml:"memoryMiB"\`
	Import *string \`field:"optional" json:"import" yaml:"import"\`
}
`, `
func NewEngine(id *string, props *Props) Engine {
	_init_.Initialize()

	j := jsiiProxy_Engine{}

	_jsii_.Create(
		"lib.Engine",
		[]interface{}{id, props},
		&j,
	)

	return &j
}

func Engine_LAMBDA() Engine {
	_init_.Initialize()
	var returns Engine
	_jsii_.StaticGet(
		"lib.Engine",
		"LAMBDA",
		&returns,
	)
	return returns
}

func (e *jsiiProxy_Engine) Import(default_ *string) {
	if err := e.validateImportParameters(default_); err != nil {
		panic(err)
	}
	_jsii_.InvokeVoid(
		e,
		"import",
		[]interface{}{default_},
	)
}
`];

describe('the case rules', () => {
  test.each([
    ['memoryMiB', 'memory_mib'],
    ['stateMachineLogGroup', 'state_machine_log_group'],
    ['toString', 'to_string'],
    ['LAMBDA', 'lambda'],
    ['LAMBDA_FUNCTION', 'lambda_function'],
    ['ATTEMPT_ENVIRONMENT_VARIABLE', 'attempt_environment_variable'],
    ['of', 'of'],
  ])('snake_case of %s is %s', (name, snake) => {
    expect(toSnakeCase(name)).toBe(snake);
  });

  test('each target under its case rules alone', () => {
    const names = Object.fromEntries(publicNames(assembly()).map((name) => [name.label, name.expected]));
    expect(names['Engine.LAMBDA']).toEqual({ python: 'LAMBDA', java: 'LAMBDA', go: 'Engine_LAMBDA' });
    expect(names['Engine.import']).toEqual({ python: 'import', java: 'import', go: 'Import' });
    expect(names['Props.memoryMiB']).toEqual({ python: 'memory_mib', java: 'getMemoryMiB', go: 'MemoryMiB' });
    expect(names['parameter props of new Engine()']).toEqual({ python: 'props', java: 'props', go: 'props' });
  });
});

describe('every name a target renamed is a problem', () => {
  test('python: keywords with a trailing _, the constant LAMBDA among them', () => {
    const check = checkNames('python', publicNames(assembly()), pythonNames(PYTHON));
    expect(check.problems).toEqual([
      'Engine.LAMBDA is `LAMBDA_` in python, not `LAMBDA`: jsii-pacmak renamed it',
      'Engine.import is `import_` in python, not `import`: jsii-pacmak renamed it',
      'Props.import is `import_` in python, not `import`: jsii-pacmak renamed it',
    ]);
  });

  test('java: keywords as xValue and doX', () => {
    const check = checkNames('java', publicNames(assembly()), javaNames(JAVA));
    expect(check.problems).toEqual([
      'Engine.import is `doImport` in java, not `import`: jsii-pacmak renamed it',
      'parameter default of Engine.import is `defaultValue` in java, not `default`: jsii-pacmak renamed it',
      'Props.import is `getImportValue` in java, not `getImport`: jsii-pacmak renamed it',
    ]);
  });

  test('go: parameters named like keywords with a trailing _', () => {
    const check = checkNames('go', publicNames(assembly()), goNames(GO));
    expect(check.problems).toEqual([
      'parameter default of Engine.import is `default_` in go, not `default`: jsii-pacmak renamed it',
    ]);
  });
});

test('a deprecated name may be renamed, and is listed', () => {
  const check = checkNames('python', publicNames(assembly({ deprecateLambda: true })), pythonNames(PYTHON));
  expect(check.problems).not.toContainEqual(expect.stringContaining('Engine.LAMBDA '));
  expect(check.renamedDeprecated).toEqual(['Engine.LAMBDA is `LAMBDA_` (deprecated)']);
});

test('a name the check cannot find in the generated code fails it', () => {
  const check = checkNames('go', publicNames(assembly()), goNames(GO.slice(0, 2)));
  expect(check.problems).toEqual(expect.arrayContaining([
    expect.stringMatching(/^Engine\.LAMBDA: not found in the generated go code/),
    expect.stringMatching(/^parameter id of new Engine\(\): not found in the generated go code/),
  ]));
});
