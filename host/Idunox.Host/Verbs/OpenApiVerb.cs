using Idunox.Shared.Modularity;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Idunox.Host.Verbs;

/// <summary>
/// <c>openapi</c>: writes the API's OpenAPI document (the contract of <c>/openapi/v1.json</c>) without a database or a
/// web server, for client generators (the Kiota client of the tests is generated from it at build time).
/// </summary>
internal sealed class OpenApiVerb(IServiceProvider services) : IHostVerb
{
    public const string VerbName = "openapi";

    public string Name => VerbName;

    public string Description => "write the OpenAPI document (JSON) to standard output or a file";

    public string Usage => """
        openapi                      write the OpenAPI 3.1 document of /openapi/v1.json to standard output
        openapi --output FILE        write it to FILE
        """;

    /// <summary>The document describes the mapped endpoints: the host maps them before running this verb.</summary>
    public static bool IsRequested(IReadOnlyList<string> args) => args.Count > 0 && args[0] == VerbName;

    public async Task<int> RunAsync(IReadOnlyList<string> args, VerbConsole console, CancellationToken cancellationToken)
    {
        var arguments = VerbArguments.Parse(args, options: ["output"]);
        arguments.ExpectPositional(0, Usage);
        var output = arguments.Option("output");
        var document = await services.GetRequiredKeyedService<IOpenApiDocumentProvider>("v1").GetOpenApiDocumentAsync(cancellationToken);
        if (document.Servers is not { Count: > 0 } &&
            Uri.TryCreate(services.GetRequiredService<IConfiguration>()["Portal:Urls:Api"], UriKind.Absolute, out var api))
        {
            // Served, the document names the address it was fetched from; written here, the configured public API's origin.
            document.Servers = [new OpenApiServer { Url = api.GetLeftPart(UriPartial.Authority) }];
        }

        var json = await document.SerializeAsJsonAsync(OpenApiSpecVersion.OpenApi3_1, cancellationToken);
        if (output is null)
        {
            await console.Out.WriteLineAsync(json);
        }
        else
        {
            await File.WriteAllTextAsync(output, json + "\n", cancellationToken);
        }

        return VerbExitCodes.Done;
    }
}
