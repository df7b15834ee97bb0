using System.Text.Json;
using System.Text.Json.Serialization;
using Idunox.Host.Verbs;
using Idunox.Shared.Modularity;
using Idunox.Shared.MultiTenancy;
using Idunox.Shared.Persistence;
using Idunox.Shared.Web;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Scalar.AspNetCore;

namespace Idunox.Host.Platform;

/// <summary>Composes the host from its modules and runs it as a web server or as one command-line verb.</summary>
public static class IdunoxHost
{
    public static async Task<int> RunAsync(string[] args, IReadOnlyList<IModule> modules)
    {
        var verbose = args.Any(a => a is "-v" or "--verbose");
        args = [.. args.Where(a => a is not ("-v" or "--verbose"))];
        var verbMode = args.Length > 0 && !args[0].StartsWith('-');
        WebApplication app;
        try
        {
            // A verb's own arguments are not configuration; configuration comes from files and environment variables.
            var builder = WebApplication.CreateBuilder(verbMode ? [] : args);
            if (verbMode)
            {
                // A verb's output is its answer; logs go to stderr, and only warnings unless asked for (-v).
                builder.Logging.ClearProviders();
                builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
                builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
                builder.Services.Configure<LoggerFilterOptions>(o =>
                {
                    o.Rules.Clear();
                    o.MinLevel = verbose ? LogLevel.Information : LogLevel.Warning;
                    // EF Core reports the missing history table of a first migration as a failed command: expected, not news.
                    o.AddFilter("Microsoft.EntityFrameworkCore.Database.Command", verbose ? LogLevel.Information : LogLevel.None);
                });
            }

            builder.AddIdunoxPlatform(modules);
            if (verbMode)
            {
                // Production's JSON log lines are for log shippers; a person runs verbs.
                builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o =>
                    o.FormatterName = Microsoft.Extensions.Logging.Console.ConsoleFormatterNames.Simple);
            }

            app = builder.Build();
        }
        catch (StartupConfigurationException e)
        {
            await Console.Error.WriteLineAsync($"idunox: cannot start: {e.Message}");
            return VerbExitCodes.Failed;
        }

        if (verbMode)
        {
            if (OpenApiVerb.IsRequested(args))
            {
                // The document describes the mapped endpoints: map them, and hand them to routing as starting the
                // server would (UseEndpoints), without starting anything.
                app.UseIdunoxPlatform();
                app.UseEndpoints(_ => { });
            }

            return await VerbRunner.RunAsync(app, args, new VerbConsole(Console.In, Console.Out, Console.Error));
        }

        app.UseIdunoxPlatform();
        if (Listening.PortInUse(app.Configuration) is { } inUse)
        {
            await Console.Error.WriteLineAsync($"idunox: cannot start: {inUse} is in use; set Urls (e.g. Urls=http://localhost:5081) or stop the other process.");
            return VerbExitCodes.Failed;
        }

        Listening.AnnounceWhenStarted(app);
        try
        {
            await app.RunAsync();
        }
        catch (IOException e) when (e.InnerException is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.AddressAlreadyInUse })
        {
            await Console.Error.WriteLineAsync($"idunox: cannot start: {e.Message.TrimEnd('.')}; set Urls or stop the other process.");
            return VerbExitCodes.Failed;
        }
        catch (Microsoft.Extensions.Options.OptionsValidationException e)
        {
            // A setting that breaks its rules (checked at start-up): one line naming it, not a stack trace.
            await Console.Error.WriteLineAsync($"idunox: cannot start: {string.Join(" ", e.Failures)}");
            return VerbExitCodes.Failed;
        }

        return 0;
    }

    public static WebApplicationBuilder AddIdunoxPlatform(this WebApplicationBuilder builder, IReadOnlyList<IModule> modules)
    {
        Listening.FollowUrlsInDevelopment(builder);
        var catalog = ModuleCatalog.From(builder.Configuration, modules);
        builder.Services.AddSingleton(catalog);
        // The database settings are checked first: without a database nothing else matters.
        var database = DatabaseSettings.From(builder.Configuration, builder.Environment);
        builder.Services.AddSingleton(database);

        if (!builder.Environment.IsDevelopment())
        {
            // Structured logs: one JSON object a line, with the message template's named values as fields.
            builder.Logging.AddJsonConsole(o =>
            {
                o.IncludeScopes = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }

        // SIGTERM: stop taking connections, let requests in flight, the job server and the lastUsedAt writer finish, at most this long.
        var shutdownSeconds = Math.Clamp(builder.Configuration.GetValue("Host:ShutdownTimeoutSeconds", 30), 1, 600);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(shutdownSeconds));
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddTenantContext();
        // The brand, support address and public addresses every module reads: bound once, here.
        builder.Services.AddOptions<Idunox.Shared.Configuration.PortalSettings>()
            .Bind(builder.Configuration.GetSection(Idunox.Shared.Configuration.PortalSettings.SectionName));
        builder.Services.AddHttpContextAccessor();
        builder.Services.Configure<JsonOptions>(o =>
        {
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
            o.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
            // Numbers are JSON numbers: "30" where a number belongs is a 400 naming the field, and the contract says integer.
            o.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
        });
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.AddIdunoxProblemDetails();
        builder.AddIdunoxAuthentication();
        builder.AddIdunoxWeb();
        // The UI kit's stylesheet and script are static web assets of its own project, also outside Development.
        builder.WebHost.UseStaticWebAssets();
        builder.Services.AddOpenApi(o =>
        {
            o.AddDocumentTransformer((document, context, _) =>
            {
                var docs = context.ApplicationServices.GetRequiredService<IConfiguration>()["Portal:Urls:Docs"];
                document.Info.Title = "Idunox Partner Platform API";
                document.Info.Description = "The partner portal API (JWT bearer) and the Idunox data API (X-Api-Key). " +
                    "Every error is an RFC 9457 problem document with a stable `code`.";
                document.Info.License = new Microsoft.OpenApi.OpenApiLicense
                {
                    Name = "Idunox partner agreement (proprietary)",
                    Url = Uri.TryCreate(docs, UriKind.Absolute, out var site) ? site : null,
                };
                return Task.CompletedTask;
            });
            OpenApiSecurity.Configure(o);
            OpenApiContract.Configure(o);
        });
        SurfaceHosts.Add(builder);
        builder.AddDatabaseStartupTasks();
        builder.AddIdunoxHealthChecks();
        builder.AddIdunoxJobs(database);
        builder.AddIdunoxTelemetry();
        builder.Services.AddSingleton<IHostVerb, MigrateVerb>();
        builder.Services.AddSingleton<IHostVerb, OpenApiVerb>();

        foreach (var module in catalog.Enabled)
        {
            module.AddServices(builder);
        }

        return builder;
    }

    public static WebApplication UseIdunoxPlatform(this WebApplication app)
    {
        app.Use(Idunox.Shared.Http.JsonNewline.AppendToStreamedAnswers);
        app.Use(SecurityHeaders.Add);
        app.UseIdunoxProblemDetails();
        app.UseForwardedHeaders();
        app.Use(SecurityHeaders.StrictTransportSecurity(app.Configuration));
        SurfaceHosts.UseSurfaceHosts(app);
        // Routing here, after the error pages: a status code page re-executes the request and needs its endpoint found again.
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        // After authorization: the user is then the principal the endpoint's own policy authenticated (bearer token for
        // the portal API, cookie for its pages, API key for the data API), so a second credential cannot choose the tenant.
        app.UseTenantResolution();
        app.UseAntiforgery();

        app.MapIdunoxHealthChecks();
        app.MapIdunoxJobDashboard();
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        app.MapScalarApiReference("/docs", o => o
            .WithTitle("Idunox Partner Platform API")
            // System fonts instead of the reference's font CDN: the page loads nothing from elsewhere (see its CSP).
            .DisableDefaultFonts()
            .WithOpenApiRoutePattern("/openapi/{documentName}.json")).AllowAnonymous();

        var catalog = app.Services.GetRequiredService<ModuleCatalog>();
        foreach (var module in catalog.Enabled)
        {
            module.MapEndpoints(app);
        }

        app.MapStaticAssets().AllowAnonymous();
        app.MapIdunoxWeb();
        var pages = app.MapRazorComponents<Components.App>()
            .AddAdditionalAssemblies([.. catalog.Enabled.Select(m => m.PageAssembly).OfType<System.Reflection.Assembly>().Distinct()]);
        // Pages say who may open them ([Authorize] or [AllowAnonymous]); the framework's own helper endpoints are open.
        pages.Add(endpoint =>
        {
            if (!endpoint.Metadata.OfType<Microsoft.AspNetCore.Components.Endpoints.ComponentTypeMetadata>().Any())
            {
                endpoint.Metadata.Add(new Microsoft.AspNetCore.Authorization.AllowAnonymousAttribute());
            }
        });
        return app;
    }
}
