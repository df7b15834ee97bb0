using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Idunox.Shared.Errors;

/// <summary>
/// What an endpoint tells the OpenAPI document beyond its types: the problem <c>code</c>s it can answer with each
/// status, and examples of its request body and main response. The host turns these into the contract (one Problem
/// schema, the codes as an enum per response, examples on the media types).
/// </summary>
public static class ApiContract
{
    /// <summary>The endpoint can answer <paramref name="status"/> with a problem document carrying one of <paramref name="codes"/>.</summary>
    public static TBuilder ProducesProblems<TBuilder>(this TBuilder builder, int status, params string[] codes)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.WithMetadata(new ProblemCodesMetadata(status, codes));
        return builder.ProducesProblem(status);
    }

    /// <summary>Examples for the document: the request body (when there is one) and the main (2xx) answer.</summary>
    public static TBuilder WithExamples<TBuilder>(this TBuilder builder, object? request, object? response)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ApiExamplesMetadata(request, response));
}

/// <summary>The problem codes an endpoint can answer with one status.</summary>
public sealed record ProblemCodesMetadata(int Status, IReadOnlyList<string> Codes);

/// <summary>Examples of an endpoint's request body and main answer, serialised with the API's own JSON settings.</summary>
public sealed record ApiExamplesMetadata(object? Request, object? Response);

/// <summary>
/// A request body of the API. In the contract its fields are never nullable (send a value or leave the field out);
/// fields whose constructor parameter has a default are optional, the others required.
/// </summary>
public interface IApiRequest;
