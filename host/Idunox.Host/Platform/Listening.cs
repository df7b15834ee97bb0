using System.Net;
using System.Net.Sockets;
using Idunox.Shared.Persistence;

namespace Idunox.Host.Platform;

/// <summary>Where the web host listens: checked before any start-up work, announced once it listens.</summary>
internal static class Listening
{
    private const string DevelopmentOrigin = "http://localhost:5080";

    /// <summary>
    /// The first address and port of <c>Urls</c> that another process holds, or null. Checked before migrations and
    /// job scheduling run, so a second instance says so in one line instead of failing after doing start-up work.
    /// </summary>
    public static string? PortInUse(IConfiguration configuration)
    {
        foreach (var url in Urls(configuration))
        {
            if (!Uri.TryCreate(url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal),
                    UriKind.Absolute, out var uri) || uri.Port <= 0)
            {
                continue;
            }

            var address = uri.Host is "localhost" ? IPAddress.Loopback : IPAddress.TryParse(uri.Host.Trim('[', ']'), out var parsed) ? parsed : null;
            if (address is null)
            {
                continue;
            }

            try
            {
                using var probe = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                probe.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true); // as Kestrel binds: a port in TIME_WAIT is free
                probe.Bind(new IPEndPoint(address, uri.Port));
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                return $"port {uri.Port} ({uri.Host})";
            }
            catch (SocketException)
            {
                // Not ours to judge here (an address this machine lacks, say): Kestrel reports it.
            }
        }

        return null;
    }

    /// <summary>
    /// In Development the portal's links (in <c>/v1/partner/config</c> and in e-mails) follow <c>Urls</c>: with
    /// <c>Urls=http://localhost:6000</c> they say port 6000, not the default 5080.
    /// </summary>
    public static void FollowUrlsInDevelopment(WebApplicationBuilder builder)
    {
        var first = Urls(builder.Configuration).FirstOrDefault();
        if (!builder.Environment.IsDevelopment() || first is null || !Uri.TryCreate(first.Replace("://*", "://localhost", StringComparison.Ordinal)
                .Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://0.0.0.0", "://localhost", StringComparison.Ordinal),
                UriKind.Absolute, out var uri) || uri.Port <= 0)
        {
            return;
        }

        var origin = uri.GetLeftPart(UriPartial.Authority);
        if (origin == DevelopmentOrigin)
        {
            return;
        }

        var rewritten = builder.Configuration.GetSection("Portal:Urls").GetChildren()
            .Where(c => c.Value?.StartsWith(DevelopmentOrigin, StringComparison.Ordinal) == true)
            .ToDictionary(c => c.Path, c => (string?)(origin + c.Value![DevelopmentOrigin.Length..]));
        builder.Configuration.AddInMemoryCollection(rewritten);
    }

    /// <summary>Once listening: where everything is, for the person who just started it.</summary>
    public static void AnnounceWhenStarted(WebApplication app) => app.Lifetime.ApplicationStarted.Register(() =>
    {
        var origin = app.Urls.FirstOrDefault()?.Replace("127.0.0.1", "localhost", StringComparison.Ordinal).TrimEnd('/') ?? DevelopmentOrigin;
        if (!app.Environment.IsDevelopment())
        {
            app.Logger.LogInformation("Idunox Partner Platform listening on {Urls} ({Environment})", string.Join(", ", app.Urls), app.Environment.EnvironmentName);
            return;
        }

        var database = app.Services.GetRequiredService<DatabaseSettings>();
        var configuration = app.Configuration;
        Console.Out.Write($"""

            Idunox Partner Platform is running ({app.Environment.EnvironmentName}, {database.Provider}).
              Portal API          {origin}/v1/partner          (sign in: POST /v1/partner/auth/login)
              Data API probe      {origin}/v1/partner-auth-probe
              API reference       {origin}/docs
              Job dashboard       {origin}/hangfire            (this machine only in Development)
              Health              {origin}/health/ready
              E-mails             {configuration["Email:PickupDirectory"] ?? "data/mail"} (.eml files)
              Seeded accounts     {configuration["Seed:PartnerEmail"]} / {configuration["Seed:PartnerPassword"]}   (portal user of Demo Partner)
                                  {configuration["Seed:StaffEmail"]} / {configuration["Seed:StaffPassword"]}   (Idunox staff, roles staff and ops)
            Press Ctrl+C to stop.


            """);
    });

    private static IEnumerable<string> Urls(IConfiguration configuration) =>
        (configuration["urls"] ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
