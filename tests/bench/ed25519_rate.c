/*-------------------------------------------------------------------------
 *
 * ed25519_rate.c
 *	  The baseline of `make bench`: raw OpenSSL Ed25519 signatures and
 *	  verifications per second over 64-byte messages (what an eddsa-*-2022
 *	  proof signs), measured for a fixed wall time on one core.  The rates are
 *	  also given per CPU-second of this process ("sign_cpu", "verify_cpu"):
 *	  on a shared machine the wall-time rate falls with the load, the rate
 *	  per CPU-second much less, and `make bench` compares the set-based
 *	  statements' CPU time against it.
 *
 *	  usage: ed25519_rate [seconds]   prints "sign <rate>", "verify <rate>",
 *	                                  "sign_cpu <rate>" and "verify_cpu <rate>"
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <openssl/evp.h>

/* seconds since an arbitrary point, monotonic */
static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU seconds this process has used */
static double
cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	double		seconds = argc > 1 ? atof(argv[1]) : 2.0;
	EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	EVP_PKEY   *key = NULL;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char msg[64];
	unsigned char sig[64];
	size_t		siglen;
	long		n;
	double		t0,
				c0,
				sign_cpu,
				t;

	if (kctx == NULL || EVP_PKEY_keygen_init(kctx) <= 0 || EVP_PKEY_keygen(kctx, &key) <= 0)
		return 1;
	for (int i = 0; i < 64; i++)
		msg[i] = (unsigned char) i;

	n = 0;
	t0 = now();
	c0 = cpu();
	do
	{
		for (int i = 0; i < 200; i++)
		{
			siglen = sizeof(sig);
			msg[0] = (unsigned char) n;
			if (EVP_DigestSignInit(md, NULL, NULL, NULL, key) <= 0 ||
				EVP_DigestSign(md, sig, &siglen, msg, sizeof(msg)) <= 0)
				return 1;
			n++;
		}
		t = now() - t0;
	} while (t < seconds);
	printf("sign %.0f\n", n / t);
	sign_cpu = n / (cpu() - c0);

	n = 0;
	t0 = now();
	c0 = cpu();
	do
	{
		for (int i = 0; i < 200; i++)
		{
			if (EVP_DigestVerifyInit(md, NULL, NULL, NULL, key) <= 0 ||
				EVP_DigestVerify(md, sig, siglen, msg, sizeof(msg)) != 1)
				return 1;
			n++;
		}
		t = now() - t0;
	} while (t < seconds);
	printf("verify %.0f\n", n / t);
	printf("sign_cpu %.0f\n", sign_cpu);
	printf("verify_cpu %.0f\n", n / (cpu() - c0));

	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	EVP_PKEY_CTX_free(kctx);
	return 0;
}
