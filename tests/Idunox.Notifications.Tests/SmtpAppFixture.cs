namespace Idunox.Notifications.Tests;

/// <summary>A host on PostgreSQL (Hangfire's PostgreSQL storage included) that mails through a real SMTP server in the test process.</summary>
public class SmtpAppFixture : PostgresAppFixture
{
    public TestSmtpServer Smtp { get; } = new TestSmtpServer().Start();

    /// <summary>The settings of this fixture's hosts (the SMTP server's and <see cref="ExtraSettings"/>), for more hosts on the same database.</summary>
    public IReadOnlyDictionary<string, string?> HostSettings
    {
        get
        {
            var settings = new Dictionary<string, string?>(Smtp.Settings);
            foreach (var (key, value) in ExtraSettings)
            {
                settings[key] = value;
            }

            return settings;
        }
    }

    /// <summary>What a derived fixture sets besides the SMTP server.</summary>
    protected virtual IReadOnlyDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>();

    protected sealed override IReadOnlyDictionary<string, string?> Settings => HostSettings;

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Smtp.DisposeAsync();
    }
}
