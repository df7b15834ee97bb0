using Idunox.Shared.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Idunox.Host.Platform;

/// <summary>
/// Tells the API reference how to authenticate: the portal's bearer token and the data API's X-Api-Key, each attached to
/// the operations that ask for it (the partner policy; the data API's marker), so "try it" in <c>/docs</c> sends the right credential.
/// </summary>
internal static class OpenApiSecurity
{
    public static void Configure(OpenApiOptions options)
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[IdunoxAuthentication.PartnerScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "JWT",
                Description = "The accessToken from POST /v1/partner/auth/login.",
            };
            document.Components.SecuritySchemes[IdunoxAuthentication.ApiKeyScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = IdunoxAuthentication.ApiKeyHeader,
                Description = "An API key created in the partner portal (idx_<env>_…).",
            };
            return Task.CompletedTask;
        });

        options.AddOperationTransformer((operation, context, _) =>
        {
            var metadata = context.Description.ActionDescriptor.EndpointMetadata;
            var policies = metadata.OfType<IAuthorizeData>().Select(a => a.Policy).ToHashSet();
            var scheme = policies.Contains(IdunoxAuthentication.PartnerPolicy) ? IdunoxAuthentication.PartnerScheme
                : metadata.OfType<RequiresApiKeyAttribute>().Any() ? IdunoxAuthentication.ApiKeyScheme
                : null;
            if (scheme is not null)
            {
                operation.Security ??= [];
                operation.Security.Add(new OpenApiSecurityRequirement
                {
                    [new OpenApiSecuritySchemeReference(scheme, context.Document)] = [],
                });
            }

            return Task.CompletedTask;
        });
    }
}
