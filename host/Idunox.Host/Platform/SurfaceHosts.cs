using Idunox.Shared.Errors;
using Idunox.Shared.Persistence;
using Idunox.Shared.Web;

namespace Idunox.Host.Platform;

/// <summary>
/// <c>Hosts:Portal</c>, <c>Hosts:Admin</c>, <c>Hosts:Api</c>: one host name per surface (empty = one origin serves all).
/// When any is set, a request for another host name is refused (400; a forged Host header reaches nothing), and each
/// surface answers only on its own host: <c>/partner</c> on the portal host, <c>/admin</c> and <c>/hangfire</c> on the
/// admin host, <c>/v1</c> on the API host; elsewhere they are 404. Health probes answer on any host name, for load balancers.
/// </summary>
internal sealed class SurfaceHosts
{
    private SurfaceHosts(string? portal, string? admin, string? api) => (Portal, Admin, Api) = (portal, admin, api);

    public string? Portal { get; }

    public string? Admin { get; }

    public string? Api { get; }

    public bool Enabled => Portal is not null || Admin is not null || Api is not null;

    public static SurfaceHosts From(IConfiguration configuration)
    {
        static string? Read(IConfiguration c, string key) => c[$"Hosts:{key}"] is { Length: > 0 } value ? Normalise(value, key) : null;
        return new SurfaceHosts(Read(configuration, "Portal"), Read(configuration, "Admin"), Read(configuration, "Api"));
    }

    /// <summary>A host name as configured: without scheme or path, lower case; a port may follow it.</summary>
    private static string Normalise(string value, string key)
    {
        var text = value.Trim().ToLowerInvariant();
        if (text.Contains("://", StringComparison.Ordinal) || text.Contains('/', StringComparison.Ordinal) || Uri.CheckHostName(text.Split(':')[0]) == UriHostNameType.Unknown)
        {
            throw new StartupConfigurationException($"Hosts:{key} must be a host name such as partner.idunox.com (it is '{value}').");
        }

        return text;
    }

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var path = context.Request.Path;
        var surface = Surfaces.Of(path);
        if (surface.HostKey == SurfaceMap.AnyHostName)
        {
            await next(context);
            return;
        }

        var host = context.Request.Host.Value?.ToLowerInvariant() ?? string.Empty;
        bool Is(string? configured) => configured is not null &&
            (host == configured || (!configured.Contains(':', StringComparison.Ordinal) && host.Split(':')[0] == configured));
        if (!Is(Portal) && !Is(Admin) && !Is(Api))
        {
            await ApiProblems.WriteAsync(context, StatusCodes.Status400BadRequest, "unknown_host", "Unknown host.",
                "This server answers only on its configured host names.");
            return;
        }

        var owner = path == "/" ? null : surface.HostKey switch
        {
            "Portal" => Portal,
            "Admin" => Admin,
            "Api" => Api,
            _ => null,
        };
        if (owner is not null && !Is(owner))
        {
            if (Surfaces.IsApi(surface.Surface))
            {
                await ApiProblems.WriteAsync(context, StatusCodes.Status404NotFound, ProblemCodes.NotFound, "Not found.", null);
            }
            else
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound; // the friendly "Page not found"
            }

            return;
        }

        // The root of the admin host is the staff area; of any other host, the portal.
        if (path == "/" && Is(Admin) && !Is(Portal))
        {
            context.Response.Redirect("/admin");
            return;
        }

        await next(context);
    }

    public static WebApplication UseSurfaceHosts(WebApplication app)
    {
        var hosts = app.Services.GetRequiredService<SurfaceHosts>();
        if (hosts.Enabled)
        {
            app.Use((context, next) => hosts.InvokeAsync(context, next));
        }

        return app;
    }

    public static void Add(WebApplicationBuilder builder)
    {
        var hosts = From(builder.Configuration);
        // In Production the staff area (and the job dashboard) get an origin of their own: a script or cookie of the
        // portal's origin can then never reach them. Sharing one origin must be chosen on purpose.
        if (builder.Environment.IsProduction() && (hosts.Admin is null || hosts.Portal is null || hosts.Admin == hosts.Portal) &&
            !(bool.TryParse(builder.Configuration["Hosts:AllowSharedOrigin"], out var shared) && shared))
        {
            throw new StartupConfigurationException(
                "Hosts:Admin and Hosts:Portal are required in Production and must differ (e.g. Hosts:Portal=partner.idunox.com, " +
                "Hosts:Admin=admin.idunox.com, Hosts:Api=api.idunox.com), so the staff area and the job dashboard have an origin of " +
                "their own. To serve every surface on one origin anyway, set Hosts:AllowSharedOrigin=true.");
        }

        builder.Services.AddSingleton(hosts);
    }
}
