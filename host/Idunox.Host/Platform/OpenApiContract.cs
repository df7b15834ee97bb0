using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Nodes;
using Idunox.Shared.Errors;
using Idunox.Shared.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;

namespace Idunox.Host.Platform;

/// <summary>
/// Makes <c>/openapi/v1.json</c> the exact contract a generated client needs: camelCase operation ids, tags with
/// descriptions, <c>security: []</c> on public operations, request fields that are never nullable (required only when
/// the API requires them), enums and formats from the request types' attributes, one <c>Problem</c> schema for every
/// 4xx/5xx answer with the <c>code</c>s each operation can answer as an enum, examples of request bodies and main answers,
/// and a server URL without a trailing slash.
/// </summary>
internal static class OpenApiContract
{
    public const string ProblemSchema = "Problem";
    private const string ProblemJson = "application/problem+json";

    private static readonly Dictionary<string, string> TagDescriptions = new(StringComparer.Ordinal)
    {
        ["Portal"] = "Public facts about the partner portal: environment, brand, addresses, key policy. No sign-in needed.",
        ["Portal authentication"] = "Signing in with e-mail and password for a bearer access token, the signed-in user, and changing the password.",
        ["API keys"] = "Your organisation's API keys (create, list, rotate, revoke) and their audit trail. Bearer access token.",
        ["Data API"] = "What partner systems call with an API key in X-Api-Key. The data API's own routes (under /v1, through the gateway) " +
            "answer as the probe does for a key that is refused (401 with the same codes, 429 too_many_attempts), and also 403 " +
            "api_key_scope_missing (with requiredScope) for a key restricted to other scopes, 502 upstream_unavailable and 504 upstream_timeout; " +
            "everything else is the data API's own answer.",
    };

    public static void Configure(OpenApiOptions options)
    {
        options.AddSchemaTransformer(TransformSchema);
        options.AddOperationTransformer(TransformOperation);
        options.AddDocumentTransformer(TransformDocument);
    }

    private static Task TransformSchema(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        if (context.JsonPropertyInfo?.AttributeProvider is { } attributes)
        {
            if (attributes.GetCustomAttributes(typeof(AllowedValuesAttribute), true).OfType<AllowedValuesAttribute>().FirstOrDefault() is { } allowed)
            {
                schema.Enum = allowed.Values.Select(v => JsonSerializer.SerializeToNode(v)!).ToList();
            }

            if (attributes.GetCustomAttributes(typeof(EmailAddressAttribute), true).Length > 0)
            {
                schema.Format = "email";
            }
        }

        if (context.JsonPropertyInfo is null && typeof(IApiRequest).IsAssignableFrom(context.JsonTypeInfo.Type) && schema.Properties is { } properties)
        {
            // A request field is sent with a value or left out: never null. Required are the fields marked [Required].
            foreach (var property in properties.Values.OfType<OpenApiSchema>())
            {
                if (property.Type is { } type)
                {
                    property.Type = type & ~JsonSchemaType.Null;
                }
            }

            schema.Required = context.JsonTypeInfo.Properties
                .Where(p => p.AttributeProvider?.GetCustomAttributes(typeof(RequiredAttribute), true).Length > 0)
                .Select(p => p.Name)
                .ToHashSet(StringComparer.Ordinal);
        }

        return Task.CompletedTask;
    }

    private static Task TransformOperation(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        if (metadata.OfType<IEndpointNameMetadata>().LastOrDefault()?.EndpointName is { Length: > 0 } name)
        {
            operation.OperationId = char.ToLowerInvariant(name[0]) + name[1..];
        }

        foreach (var parameter in operation.Parameters?.OfType<OpenApiParameter>() ?? [])
        {
            // Ids are UUIDs (any other text answers 404 like an unknown id).
            if (parameter.In == ParameterLocation.Path && parameter.Name == "id" && parameter.Schema is OpenApiSchema id)
            {
                id.Format = "uuid";
            }
        }

        // An optional body is described by its schema; "required" (absent) already says it may be left out.
        foreach (var media in operation.RequestBody?.Content?.Values.AsEnumerable() ?? [])
        {
            if (media.Schema is OpenApiSchema { OneOf: [OpenApiSchema { Type: JsonSchemaType.Null }, var body] })
            {
                media.Schema = body;
            }
        }

        var policies = metadata.OfType<IAuthorizeData>().Select(a => a.Policy).ToHashSet();
        var problems = new SortedDictionary<int, SortedSet<string>>();
        void Add(int status, params string[] codes)
        {
            if (!problems.TryGetValue(status, out var known))
            {
                problems[status] = known = new SortedSet<string>(StringComparer.Ordinal);
            }

            known.UnionWith(codes);
        }

        if (policies.Contains(IdunoxAuthentication.PartnerPolicy))
        {
            Add(StatusCodes.Status401Unauthorized, ProblemCodes.Unauthorized, "invalid_token");
        }
        else if (metadata.OfType<RequiresApiKeyAttribute>().Any())
        {
            Add(StatusCodes.Status401Unauthorized, "api_key_missing", "api_key_malformed", "api_key_wrong_environment", "api_key_invalid",
                "api_key_revoked", "api_key_expired", "api_key_organisation_suspended");
            Add(StatusCodes.Status429TooManyRequests, "too_many_attempts");
        }
        else if (policies.Count == 0)
        {
            operation.Security = []; // public: no credential at all
        }

        if (context.Description.ParameterDescriptions.Any(p => p.Source == Microsoft.AspNetCore.Mvc.ModelBinding.BindingSource.Body))
        {
            Add(StatusCodes.Status400BadRequest, ProblemCodes.MalformedRequest, ProblemCodes.ValidationFailed);
            Add(StatusCodes.Status413PayloadTooLarge, ProblemCodes.PayloadTooLarge);
            Add(StatusCodes.Status415UnsupportedMediaType, ProblemCodes.UnsupportedMediaType);
        }

        foreach (var declared in metadata.OfType<ProblemCodesMetadata>())
        {
            Add(declared.Status, [.. declared.Codes]);
        }

        Add(StatusCodes.Status500InternalServerError, ProblemCodes.InternalError);
        // Every operation reads or writes the database (the probe too, for a key this server has not seen lately).
        Add(StatusCodes.Status503ServiceUnavailable, ProblemCodes.ServiceUnavailable);

        operation.Responses ??= [];
        foreach (var (status, codes) in problems)
        {
            var key = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var description = operation.Responses.TryGetValue(key, out var existing) && existing.Description is { Length: > 0 } d && d != ReasonPhrase(status)
                ? d
                : status == StatusCodes.Status503ServiceUnavailable
                    ? $"{ReasonPhrase(status)}: the database cannot be reached right now and nothing was changed; try again after the seconds in Retry-After. A problem document whose code is {ProblemCodes.ServiceUnavailable}."
                    : $"{ReasonPhrase(status)}: a problem document whose code is one of {string.Join(", ", codes)}.";
            operation.Responses[key] = new OpenApiResponse
            {
                Description = description,
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    [ProblemJson] = new()
                    {
                        Schema = new OpenApiSchema
                        {
                            AllOf =
                            [
                                new OpenApiSchemaReference(ProblemSchema, context.Document),
                                new OpenApiSchema
                                {
                                    Type = JsonSchemaType.Object,
                                    Required = new HashSet<string>(StringComparer.Ordinal) { "code" },
                                    Properties = new Dictionary<string, IOpenApiSchema>
                                    {
                                        ["code"] = new OpenApiSchema
                                        {
                                            Type = JsonSchemaType.String,
                                            Description = "A stable, machine-readable reason: switch on it.",
                                            Enum = codes.Select(c => (JsonNode)JsonValue.Create(c)!).ToList(),
                                        },
                                    },
                                },
                            ],
                        },
                    },
                },
            };
        }

        if (metadata.OfType<ApiExamplesMetadata>().LastOrDefault() is { } examples)
        {
            var json = context.ApplicationServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
            if (examples.Request is not null && operation.RequestBody?.Content is { } body)
            {
                foreach (var media in body.Values)
                {
                    media.Example = JsonSerializer.SerializeToNode(examples.Request, examples.Request.GetType(), json);
                }
            }

            if (examples.Response is not null &&
                operation.Responses.FirstOrDefault(r => r.Key.StartsWith('2')).Value?.Content is { } content &&
                content.TryGetValue("application/json", out var main))
            {
                main.Example = JsonSerializer.SerializeToNode(examples.Response, examples.Response.GetType(), json);
            }
        }

        return Task.CompletedTask;
    }

    private static Task TransformDocument(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas[ProblemSchema] = Problem();
        // The framework's own problem schemas are no longer used by any answer: every one refers to Problem.
        document.Components.Schemas.Remove("ProblemDetails");
        document.Components.Schemas.Remove("HttpValidationProblemDetails");

        var used = document.Paths.Values.SelectMany(p => p.Operations?.Values.AsEnumerable() ?? []).SelectMany(o => o.Tags?.AsEnumerable() ?? []).Select(t => t.Name).ToHashSet();
        document.Tags = new HashSet<OpenApiTag>(TagDescriptions.Where(t => used.Contains(t.Key)).Select(t => new OpenApiTag { Name = t.Key, Description = t.Value }));

        foreach (var server in document.Servers ?? [])
        {
            server.Url = server.Url?.TrimEnd('/');
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// RFC 9457 with the platform's members: every 4xx and 5xx answer of the API is one of these. Its <c>code</c> is given
    /// by each answer, as the enum of the codes that answer can carry (a property declared twice, once as a string here
    /// and once as an enum there, is dropped by generators such as Kiota; declared once, clients get a typed enum).
    /// </summary>
    private static OpenApiSchema Problem() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "An RFC 9457 problem document. Every answer adds `code`, a stable reason from the list that answer documents: " +
            "switch on it; `title` and `detail` are for people and may change.",
        Required = new HashSet<string>(StringComparer.Ordinal) { "type", "title", "status", "traceId" },
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "A URI reference naming the kind of problem." },
            ["title"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "A short summary for people." },
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Description = "The HTTP status code." },
            ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "What happened and what to do, for people." },
            ["instance"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The request the problem is about." },
            ["traceId"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "Quote it to support: it finds the request in the logs." },
            ["requiredScope"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "With `api_key_scope_missing`: the scope the route needs." },
            ["errors"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Description = "With `validation_failed` and `malformed_request`: the messages per field.",
                AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
            },
        },
    };

    private static string ReasonPhrase(int status) => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status);
}
