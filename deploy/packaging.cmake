# Debian packages of netvigil with CPack's DEB generator: cmake --build build --target package
# writes netvigil-{common,collector,sensor,viewer}_VERSION-REVISION_ARCH.deb into the build
# directory. Included from the top CMakeLists.txt after deploy/ (NVG_DEB_VERSION,
# NVG_MAINTAINER); what goes into each package is the install() rules of that component
# (sensor/, collector/, viewer/, deploy/CMakeLists.txt).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME netvigil)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${NVG_MAINTAINER}")
# The packages install under /usr whatever CMAKE_INSTALL_PREFIX a developer build has.
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL common collector sensor viewer)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)

# A Debian revision, so that lintian reads the packages as non-native (changelog.Debian.gz).
set(CPACK_DEBIAN_PACKAGE_RELEASE ${NVG_DEB_REVISION})
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${NVG_MAINTAINER}")
set(NVG_HOMEPAGE "https://netvigil.example/" CACHE STRING "Homepage field of the packages")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${NVG_HOMEPAGE}")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
# Depends from the shared libraries the binaries link (dpkg-shlibdeps), as dh_shlibdeps does.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Stripped like dh_strip's (lintian: unstripped-binary-or-object); the build tree keeps the
# symbols for debugging.
set(CPACK_STRIP_FILES ON)
# Maintainer scripts 0755, conffiles 0644, whatever mode the checkout gave them.
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(deb ${PROJECT_SOURCE_DIR}/deploy/debian)
# A component's scripts: deploy/debian/COMP/{postinst,prerm,postrm,conffiles} that exist.
function(nvg_control_extra comp)
    set(files)
    foreach(f postinst prerm postrm conffiles)
        if(EXISTS ${deb}/${comp}/${f})
            list(APPEND files ${deb}/${comp}/${f})
        endif()
    endforeach()
    string(TOUPPER ${comp} up)
    set(CPACK_DEBIAN_${up}_PACKAGE_CONTROL_EXTRA "${files}" PARENT_SCOPE)
endfunction()

# ---- netvigil-common ---------------------------------------------------------------------------
set(CPACK_DEBIAN_COMMON_PACKAGE_NAME netvigil-common)
set(CPACK_DEBIAN_COMMON_PACKAGE_ARCHITECTURE all)
# systemd-sysusers creates the user in postinst (what dh_installsysusers depends on).
set(CPACK_DEBIAN_COMMON_PACKAGE_DEPENDS "systemd | systemd-standalone-sysusers | systemd-sysusers")
set(CPACK_DEBIAN_COMMON_DESCRIPTION [=[distributed network traffic monitor - common files
netvigil is a distributed, real-time network traffic monitor: sensors capture
with libpcap, filter in the kernel with BPF and send decoded packet records
over ZeroMQ to a collector that logs them to CSV, keeps rates, top talkers,
conversations and alerts, and serves a live feed to a GTK 4 viewer and a
command-line client.

This package holds what the others share: the netvigil system user
(sysusers.d), the state directory /var/lib/netvigil (tmpfiles.d), the
configuration directory /etc/netvigil and the documentation.]=])
nvg_control_extra(common)

# ---- netvigil-collector -------------------------------------------------------------------------
set(CPACK_DEBIAN_COLLECTOR_PACKAGE_NAME netvigil-collector)
set(CPACK_DEBIAN_COLLECTOR_PACKAGE_DEPENDS "netvigil-common (= ${NVG_DEB_VERSION})")
set(CPACK_DEBIAN_COLLECTOR_PACKAGE_SUGGESTS "netvigil-viewer, prometheus")
set(CPACK_DEBIAN_COLLECTOR_DESCRIPTION [=[distributed network traffic monitor - collector
netvigil is a distributed, real-time network traffic monitor built from
sensors, a collector and viewers.

The collector accepts the records of many netvigil sensors (ZeroMQ, optionally
CURVE-encrypted with per-role key allow-lists), writes the complete packet,
rate, conversation, alert and audit logs as rotated CSV files with retention,
a free-space floor and compression, runs the scan and flood detectors,
republishes a live feed, routes control commands to the sensors and serves
Prometheus metrics. Loss is counted at every hop.

The package runs it as the systemd service netvigil-collector (enabled,
loopback only until /etc/netvigil/collector.conf says otherwise).]=])
nvg_control_extra(collector)

# ---- netvigil-sensor ----------------------------------------------------------------------------
set(CPACK_DEBIAN_SENSOR_PACKAGE_NAME netvigil-sensor)
set(CPACK_DEBIAN_SENSOR_PACKAGE_DEPENDS "netvigil-common (= ${NVG_DEB_VERSION})")
set(CPACK_DEBIAN_SENSOR_DESCRIPTION [=[distributed network traffic monitor - capture sensor
netvigil is a distributed, real-time network traffic monitor built from
sensors, a collector and viewers.

The sensor captures live from an interface or reads pcap and pcapng files,
pre-filters in the kernel with BPF (tcpdump syntax), decodes every packet
safely, tracks conversations and sends the records to a collector, or writes
them as CSV or text. It keeps only CAP_NET_RAW and confines itself with a
seccomp allow-list once the capture is open.

The package installs the systemd template unit netvigil-sensor@.service, one
instance per interface (systemctl enable --now netvigil-sensor@eth0),
configured in /etc/netvigil/sensor.conf.]=])
nvg_control_extra(sensor)

# ---- netvigil-viewer ----------------------------------------------------------------------------
set(CPACK_DEBIAN_VIEWER_PACKAGE_NAME netvigil-viewer)
set(CPACK_DEBIAN_VIEWER_DESCRIPTION [=[distributed network traffic monitor - GTK viewer and terminal client
netvigil is a distributed, real-time network traffic monitor built from
sensors, a collector and viewers.

This package holds the two clients of the collector:
 * netvigil-viewer, a GTK 4 application: live packet list with display
   filters, traffic rates, sensors and their loss counters, alerts and
   conversations;
 * netvigil-ctl, the terminal client: status, live records, rates, events,
   alerts, conversations and host totals, and the commands that start, stop,
   restart and filter sensors; it also makes CURVE key pairs.]=])

include(CPack)
