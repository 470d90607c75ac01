// logd.h compiles as C++ and its macros work there.
#include <logd.h>

int
main()
{
	logd_client *c = logd_open("cxx", LOGD_NONBLOCK);

	if (c == nullptr)
		return 1;
	LOGD_INFO(c, "from C++ %d", 1);
	logd_printf(c, LOG_DEBUG, "%s", "x");
	logd_close(c);
	return 0;
}
