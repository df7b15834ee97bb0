using Idunox.Shared.Persistence;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Idunox.Notifications.Email;

internal enum EmailMode
{
    /// <summary>Write each message as an .eml file into <c>Email:PickupDirectory</c> (the embedded default).</summary>
    Pickup,

    /// <summary>Send through the SMTP server of <c>Email:Smtp:*</c>.</summary>
    Smtp,
}

internal enum SmtpSecurity
{
    None,
    StartTls,
    SslOnConnect,
    Auto,
}

/// <summary><c>Email:*</c>, read and checked at start-up.</summary>
internal sealed record EmailOptions(
    EmailMode Mode,
    string PickupDirectory,
    string SmtpHost,
    int SmtpPort,
    SmtpSecurity Security,
    string? Username,
    string? Password,
    string FromAddress,
    string FromName,
    TimeSpan Timeout,
    int Connections = 4)
{
    public static EmailOptions From(IConfiguration configuration, IHostEnvironment environment)
    {
        var section = configuration.GetSection("Email");
        var mode = Parse(section["Mode"], EmailMode.Pickup, "Email:Mode", "Pickup or Smtp");
        var pickup = section["PickupDirectory"] is { Length: > 0 } dir ? dir : "data/mail";
        var host = section["Smtp:Host"] ?? string.Empty;
        if (mode == EmailMode.Smtp && string.IsNullOrWhiteSpace(host))
        {
            throw new StartupConfigurationException("Email:Mode is Smtp but Email:Smtp:Host is not set (or set Email:Mode=Pickup to write .eml files).");
        }

        var port = section.GetValue("Smtp:Port", 587);
        if (port is < 1 or > 65535)
        {
            throw new StartupConfigurationException("Email:Smtp:Port must be between 1 and 65535.");
        }

        return new EmailOptions(
            mode,
            Path.IsPathRooted(pickup) ? pickup : Path.GetFullPath(Path.Combine(environment.ContentRootPath, pickup)),
            host,
            port,
            Parse(section["Smtp:Security"], SmtpSecurity.StartTls, "Email:Smtp:Security", "None, StartTls, SslOnConnect or Auto"),
            section["Smtp:Username"] is { Length: > 0 } user ? user : null,
            section["Smtp:Password"] is { Length: > 0 } password ? password : null,
            section["From:Address"] ?? "no-reply@idunox.com",
            section["From:Name"] ?? new Idunox.Shared.Configuration.PortalSettings().Brand.ProductName,
            TimeSpan.FromSeconds(section.GetValue("Smtp:TimeoutSeconds", 30)),
            Math.Clamp(section.GetValue("Smtp:Connections", 4), 1, 32));
    }

    private static T Parse<T>(string? value, T fallback, string key, string allowed) where T : struct, Enum =>
        string.IsNullOrWhiteSpace(value) ? fallback
        : Enum.TryParse<T>(value, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) ? parsed
        : throw new StartupConfigurationException($"{key} must be {allowed} (it is '{value}').");

    // The SMTP password stays out of logs and exceptions that print this record.
    public override string ToString() => $"EmailOptions {{ Mode = {Mode}, SmtpHost = {SmtpHost}, SmtpPort = {SmtpPort} }}";
}
