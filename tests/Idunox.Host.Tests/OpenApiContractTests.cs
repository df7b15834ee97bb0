using System.Text.Json;
using System.Text.RegularExpressions;
using Idunox.Testing;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;
using Newtonsoft.Json.Linq;
using Snapshooter.Xunit;

namespace Idunox.Host.Tests;

/// <summary>
/// The OpenAPI document is the contract partners generate clients from. These rules are checked by walking every
/// operation and schema, so an endpoint added tomorrow is held to them without a new test.
/// </summary>
public sealed partial class OpenApiContractTests(PostgresAppFixture fixture) : IClassFixture<PostgresAppFixture>
{
    private async Task<string> DocumentTextAsync() =>
        await fixture.App.CreateClient().GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative));

    private async Task<JsonElement> DocumentAsync() => JsonDocument.Parse(await DocumentTextAsync()).RootElement;

    private static IEnumerable<(string Path, string Method, JsonElement Operation)> Operations(JsonElement document) =>
        document.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Select(op => (path.Name, op.Name, op.Value)));

    private static JsonElement Resolve(JsonElement document, JsonElement schema) =>
        schema.TryGetProperty("$ref", out var reference)
            ? document.GetProperty("components").GetProperty("schemas").GetProperty(reference.GetString()!.Split('/')[^1])
            : schema;

    [Fact]
    public async Task The_document_reads_without_errors_with_Microsoft_OpenApi()
    {
        var text = await DocumentTextAsync();

        var result = OpenApiDocument.Parse(text, OpenApiConstants.Json, new OpenApiReaderSettings());

        Assert.NotNull(result.Document);
        Assert.Empty(result.Diagnostic?.Errors ?? []);
        Assert.Equal(OpenApiSpecVersion.OpenApi3_1, result.Diagnostic!.SpecificationVersion);
    }

    [Fact]
    public async Task Every_operation_has_a_stable_camel_case_id_a_summary_a_described_tag_and_says_how_it_authenticates()
    {
        var document = await DocumentAsync();
        var tags = document.GetProperty("tags").EnumerateArray()
            .ToDictionary(t => t.GetProperty("name").GetString()!, t => t.TryGetProperty("description", out var d) ? d.GetString() : null);
        var ids = new HashSet<string>();

        foreach (var (path, method, operation) in Operations(document))
        {
            var where = $"{method.ToUpperInvariant()} {path}";
            var id = operation.GetProperty("operationId").GetString()!;
            Assert.Matches(CamelCase(), id);
            Assert.True(ids.Add(id), $"{where}: operationId {id} is used twice");
            Assert.False(string.IsNullOrWhiteSpace(operation.GetProperty("summary").GetString()), $"{where}: no summary");
            Assert.NotEmpty(operation.GetProperty("tags").EnumerateArray());
            Assert.All(operation.GetProperty("tags").EnumerateArray(), t =>
                Assert.False(string.IsNullOrWhiteSpace(tags.GetValueOrDefault(t.GetString()!)), $"{where}: tag {t} has no description"));
            // Public operations say so ("security": []) instead of saying nothing.
            Assert.True(operation.TryGetProperty("security", out _), $"{where}: no security requirement, not even an empty one");
        }

        Assert.Contains("createCredential", ids);
        Assert.Contains("rotateCredential", ids);
        Assert.Contains("revokeCredential", ids);
    }

    [Fact]
    public async Task Every_error_answer_is_a_Problem_listing_the_codes_the_operation_can_answer()
    {
        var document = await DocumentAsync();
        var problem = document.GetProperty("components").GetProperty("schemas").GetProperty("Problem");
        Assert.Equal(["status", "title", "traceId", "type"], problem.GetProperty("required").EnumerateArray().Select(r => r.GetString()).Order());

        var codesByOperation = new Dictionary<string, Dictionary<string, string[]>>();
        foreach (var (path, method, operation) in Operations(document))
        {
            var where = $"{method.ToUpperInvariant()} {path}";
            var codes = codesByOperation[operation.GetProperty("operationId").GetString()!] = [];
            foreach (var response in operation.GetProperty("responses").EnumerateObject().Where(r => r.Name[0] is '4' or '5'))
            {
                var content = response.Value.GetProperty("content").EnumerateObject().ToList();
                Assert.Equal(["application/problem+json"], content.Select(c => c.Name));
                var allOf = content[0].Value.GetProperty("schema").GetProperty("allOf").EnumerateArray().ToList();
                Assert.Equal("#/components/schemas/Problem", allOf[0].GetProperty("$ref").GetString());
                Assert.Equal(["code"], allOf[1].GetProperty("required").EnumerateArray().Select(r => r.GetString()));
                var listed = allOf[1].GetProperty("properties").GetProperty("code").GetProperty("enum").EnumerateArray().Select(c => c.GetString()!).ToArray();
                Assert.True(listed.Length > 0, $"{where} {response.Name}: no codes listed");
                codes[response.Name] = listed;
            }

            Assert.Contains("500", codes.Keys);
        }

        Assert.Contains("key_not_rotatable", codesByOperation["rotateCredential"]["409"]);
        Assert.Contains("key_not_found", codesByOperation["rotateCredential"]["404"]);
        Assert.Contains("key_limit_reached", codesByOperation["createCredential"]["409"]);
        Assert.Contains("validation_failed", codesByOperation["createCredential"]["400"]);
        Assert.Contains("api_key_revoked", codesByOperation["partnerAuthProbe"]["401"]);
        Assert.Contains("invalid_credentials", codesByOperation["login"]["401"]);
        Assert.Contains("invalid_token", codesByOperation["listCredentials"]["401"]);
    }

    [Fact]
    public async Task Request_fields_are_never_nullable_optional_ones_are_not_required_and_numbers_are_numbers()
    {
        var document = await DocumentAsync();
        foreach (var (path, method, operation) in Operations(document))
        {
            if (!operation.TryGetProperty("requestBody", out var body))
            {
                continue;
            }

            foreach (var media in body.GetProperty("content").EnumerateObject())
            {
                var schema = Resolve(document, media.Value.GetProperty("schema"));
                foreach (var property in schema.GetProperty("properties").EnumerateObject())
                {
                    Assert.False(TypesOf(property.Value).Contains("null"), $"{method} {path}: {property.Name} may be null");
                }

                Assert.True(media.Value.TryGetProperty("example", out _), $"{method} {path}: the request body has no example");
            }
        }

        var create = document.GetProperty("components").GetProperty("schemas").GetProperty("CreateCredentialRequest");
        Assert.Equal(["name"], create.GetProperty("required").EnumerateArray().Select(r => r.GetString()));
        var grace = document.GetProperty("components").GetProperty("schemas").GetProperty("RotateCredentialRequest").GetProperty("properties").GetProperty("graceHours");
        Assert.Equal([24, 48, 72], grace.GetProperty("enum").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal("email", document.GetProperty("components").GetProperty("schemas").GetProperty("LoginRequest").GetProperty("properties").GetProperty("email").GetProperty("format").GetString());

        // Nowhere is a number typed as "number or string" (the API reads JSON numbers only).
        foreach (var schema in document.GetProperty("components").GetProperty("schemas").EnumerateObject())
        {
            foreach (var property in schema.Value.TryGetProperty("properties", out var properties) ? properties.EnumerateObject() : Enumerable.Empty<JsonProperty>())
            {
                var types = TypesOf(property.Value);
                Assert.False(types.Contains("integer") && types.Contains("string"), $"{schema.Name}.{property.Name} is typed {string.Join("|", types)}");
            }
        }
    }

    [Fact]
    public async Task Answers_mark_their_always_present_fields_required_have_formats_and_enums_and_examples()
    {
        var document = await DocumentAsync();
        var schemas = document.GetProperty("components").GetProperty("schemas");
        foreach (var schema in schemas.EnumerateObject().Where(s => s.Name.EndsWith("Response", StringComparison.Ordinal)))
        {
            var properties = schema.Value.GetProperty("properties").EnumerateObject().Select(p => p.Name).Order();
            Assert.Equal(properties, schema.Value.GetProperty("required").EnumerateArray().Select(r => r.GetString()!).Order());
        }

        var credential = schemas.GetProperty("CredentialResponse").GetProperty("properties");
        Assert.Equal("uuid", credential.GetProperty("id").GetProperty("format").GetString());
        Assert.Equal("date-time", credential.GetProperty("expiresAt").GetProperty("format").GetString());
        Assert.Equal(["active", "expiring", "grace", "revoked", "expired"],
            schemas.GetProperty("ApiKeyStatus").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));

        foreach (var (path, method, operation) in Operations(document))
        {
            var main = operation.GetProperty("responses").EnumerateObject().First(r => r.Name[0] == '2');
            if (main.Value.TryGetProperty("content", out var content) && content.TryGetProperty("application/json", out var json))
            {
                Assert.True(json.TryGetProperty("example", out _), $"{method} {path}: the {main.Name} answer has no example");
            }

            foreach (var parameter in operation.TryGetProperty("parameters", out var parameters) ? parameters.EnumerateArray() : Enumerable.Empty<JsonElement>())
            {
                if (parameter.GetProperty("name").GetString() == "id")
                {
                    Assert.Equal("uuid", parameter.GetProperty("schema").GetProperty("format").GetString());
                }
            }
        }

        Assert.NotEmpty(document.GetProperty("servers").EnumerateArray());
        Assert.All(document.GetProperty("servers").EnumerateArray(), s => Assert.False(s.GetProperty("url").GetString()!.EndsWith('/')));
    }

    [Fact]
    public async Task The_contract_is_snapshotted_so_every_change_is_a_reviewed_diff()
    {
        Snapshot.Match(JToken.Parse(await DocumentTextAsync()));
    }

    private static HashSet<string> TypesOf(JsonElement schema) =>
        !schema.TryGetProperty("type", out var type) ? []
        : type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()!).ToHashSet()
        : [type.GetString()!];

    [GeneratedRegex("^[a-z][A-Za-z0-9]+$")]
    private static partial Regex CamelCase();
}
