using Idunox.Credentials.Contracts;
using Idunox.Identity.Contracts;
using Microsoft.Extensions.Options;

namespace Idunox.Credentials.Keys;

internal sealed class KeyPolicyPublisher(IOptions<KeyPolicyOptions> options) : IKeyPolicyPublisher
{
    public PublishedKeyPolicy? Published
    {
        get
        {
            var k = options.Value;
            return new PublishedKeyPolicy(k.Environment, k.KeyPrefix, k.DefaultValidityDays, k.MaxValidityDays,
                [.. KeyPolicyOptions.GraceHoursOptions], KeyPolicyOptions.DefaultGraceHours, k.ExpiringThresholdDays, k.MaxActiveKeysPerTenant);
        }
    }
}
